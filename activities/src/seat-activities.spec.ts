/**
 * Seats at the activities (FerretDB): `reserveSeats` is all or nothing for a ticket, and what it gives
 * back when a license is full is only what that ticket took.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { App, SeatsInput } from '@gatehouse/domain';
import type { Store } from '@gatehouse/store';
import { openTestStore, uniqueId } from '../../test/support/harness';
import { createTicketActivities } from './ticket-activities';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());

const activities = () =>
  createTicketActivities({ store, connectors: { demoMemberships: store.demoMemberships, env: {} } });
const reserve = (input: SeatsInput) => new MockActivityEnvironment().run(activities().reserveSeats, input);

/** An app with two licenses: `wide` (5 seats) and `narrow` (1 seat). */
async function twoLicenseApp(): Promise<App> {
  const app: App = {
    id: uniqueId('app-'),
    name: 'Salesforce',
    connector: { type: 'demo', config: {} },
    entitlements: [
      { id: 'reader', kind: 'role', name: 'Reader', licenseId: 'wide' },
      { id: 'manager', kind: 'role', name: 'Manager', licenseId: 'narrow' },
    ],
    licenses: [
      { id: 'wide', name: 'Platform seat', seats: 5 },
      { id: 'narrow', name: 'Manager seat', seats: 1 },
    ],
    policy: { approval: { steps: [] } } as unknown as App['policy'],
  };
  await store.apps.put(app);
  return app;
}

const seatsOf = async (appId: string, userId: string) =>
  (
    await store.seats.model
      .find({ userId, license: { $in: [`${appId}:wide`, `${appId}:narrow`] } })
      .lean()
      .exec()
  )
    .map((s) => s.license.split(':')[1])
    .sort();

test('a full license refuses the ticket and gives back the seats it took, not one the user held before', async () => {
  const app = await twoLicenseApp();
  // ann holds a Platform seat through an earlier ticket; ben holds the only Manager seat.
  await reserve({ ticketId: 'TCK-1', appId: app.id, userId: 'ann', licenseIds: ['wide'] });
  await reserve({ ticketId: 'TCK-2', appId: app.id, userId: 'ben', licenseIds: ['narrow'] });

  const refused = reserve({ ticketId: 'TCK-3', appId: app.id, userId: 'ann', licenseIds: ['wide', 'narrow'] });
  await expect(refused).rejects.toBeInstanceOf(ApplicationFailure);
  await expect(refused).rejects.toMatchObject({ type: 'NO_SEAT_AVAILABLE', nonRetryable: true });
  expect(await seatsOf(app.id, 'ann')).toEqual(['wide']);

  // carol held nothing: the Platform seat her ticket took on the way is given back.
  await expect(
    reserve({ ticketId: 'TCK-4', appId: app.id, userId: 'carol', licenseIds: ['wide', 'narrow'] }),
  ).rejects.toMatchObject({ type: 'NO_SEAT_AVAILABLE' });
  expect(await seatsOf(app.id, 'carol')).toEqual([]);
  expect(await store.seats.used(app.id, 'wide')).toBe(1);
});
