// Admin console: People — the paged, searchable list, and one person at #/admin/people/<id>.
import { PeopleList } from './people/PeopleList';
import { PersonPage } from './people/PersonPage';
import './people/admin-lists.css';

export function PeopleAdmin({ id }: { id?: string }) {
  // A key per person: opening another person starts from their own state.
  return id ? <PersonPage key={id} userId={id} /> : <PeopleList />;
}
