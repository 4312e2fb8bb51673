// Admin console: Applications — the list, and one app's editor at #/admin/apps/<id> (#/admin/apps/new).
import { AppEditor } from './apps/AppEditor';
import { AppList } from './apps/AppList';
import './apps/apps.css';

export function AppsAdmin({ id }: { id?: string }) {
  if (!id) return <AppList />;
  // A key per app: opening another app starts from its own state.
  return <AppEditor key={id} appId={id === 'new' ? null : id} />;
}
