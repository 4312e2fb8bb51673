// Admin console: Access — every active grant, filtered and paged, with revoke.
import { AccessList } from './access/AccessList';
import './people/admin-lists.css';

export function AccessAdmin() {
  return <AccessList />;
}
