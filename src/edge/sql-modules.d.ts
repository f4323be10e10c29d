// SQL files imported as text (the edge bundle's loader).
declare module '*.sql' {
  const text: string;
  export default text;
}
