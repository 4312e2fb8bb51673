/** Building SOQL from values that came from an app's catalog or a user's account mapping. */

/** A SOQL string literal: quotes and backslashes escaped, so a value can never end the literal early. */
export function soqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A 15- or 18-character Salesforce record Id, optionally of the object whose key prefix is `prefix` (005 User...). */
export function isSalesforceId(value: string, prefix?: string): boolean {
  return /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value) && (prefix === undefined || value.startsWith(prefix));
}

export const KEY_PREFIX = { user: '005', permissionSet: '0PS', userRole: '00E' } as const;
