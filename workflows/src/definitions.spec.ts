import registered from './search-attributes.json';
import { searchAttributes } from './definitions';

test('the search attributes registered on servers are exactly those the workflow sets', () => {
  const fromCode = Object.fromEntries(Object.values(searchAttributes).map((k) => [k.name, k.type]));
  const fromJson = Object.fromEntries(Object.entries(registered).map(([name, type]) => [name, type.toUpperCase()]));
  expect(fromCode).toEqual(fromJson);
});
