// Admin console: Drift — each app's latest report, and one app's report at #/admin/drift/<appId>.
import { DriftList } from './drift/DriftList';
import { DriftReportPage } from './drift/DriftReportPage';
import './people/admin-lists.css';

export function DriftAdmin({ id }: { id?: string }) {
  return id ? <DriftReportPage key={id} appId={id} /> : <DriftList />;
}
