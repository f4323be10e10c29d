// Settings (SPEC §12): the API tokens and the audit log.
import { ApiTokens } from '../components/ApiTokens.js';
import { AuditLog } from '../components/AuditLog.js';

export function Settings() {
  return (
    <div class="min-w-0 space-y-8">
      <h1 class="text-xl font-semibold text-slate-100">Settings</h1>
      <ApiTokens />
      <AuditLog />
    </div>
  );
}
