// The admin console: one screen per area, behind the admin role. Every screen works over the public API
// only, so anything it does can be scripted with curl or the CLI too.
import type { ReactElement } from 'react';
import { useSession } from '../../session-context';
import type { AdminSection } from '../../route';
import { AppsAdmin } from './Apps';
import { PeopleAdmin } from './People';
import { AccessAdmin } from './Access';
import { DriftAdmin } from './Drift';
import { WebhooksAdmin } from './Webhooks';
import { AuditAdmin } from './Audit';

const LABELS: Record<AdminSection, string> = {
  apps: 'Applications',
  people: 'People',
  access: 'Access',
  drift: 'Drift',
  webhooks: 'Webhooks',
  audit: 'Audit log',
};

export function AdminConsole({ section, id }: { section: AdminSection; id?: string }) {
  const { isAdmin } = useSession();
  if (!isAdmin) {
    return (
      <>
        <h1>Admin</h1>
        <p role="alert">The admin console is for admins. Ask an admin if you need something configured.</p>
      </>
    );
  }
  const screens: Record<AdminSection, ReactElement> = {
    apps: <AppsAdmin id={id} />,
    people: <PeopleAdmin id={id} />,
    access: <AccessAdmin />,
    drift: <DriftAdmin id={id} />,
    webhooks: <WebhooksAdmin id={id} />,
    audit: <AuditAdmin />,
  };
  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Admin">
        {(Object.keys(LABELS) as AdminSection[]).map((s) => (
          <a key={s} href={`#/admin/${s}`} aria-current={s === section ? 'page' : undefined}>
            {LABELS[s]}
          </a>
        ))}
      </nav>
      <div className="admin-screen">{screens[section]}</div>
    </div>
  );
}
