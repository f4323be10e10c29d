// A prepared statement's named parameter where drizzle wants a value (a SET list, a VALUES row).
import { sql } from 'drizzle-orm';

export const value = (name: string) => sql`${sql.placeholder(name)}`;
