/** Identifiers in paths and bodies: letters, digits and `._@-`, so they are safe as keys and in URLs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const TICKET_ID_PATTERN = /^TCK-[0-9]{1,15}$/;
/** Keys of user-supplied maps (entitlement fields): never `.` or `$`, which MongoDB refuses or interprets. */
export const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
