import { formatSeconds, type ExtensionPolicy, type PolicyFlag, type TicketAutoApproval } from '@gatehouse/domain';
import type { TicketDoc } from '@gatehouse/store';

/** How many extensions the access of this ticket has had: each approved one logs `extended` on it. */
export function extensionsOf(parent: Pick<TicketDoc, 'log'>): number {
  return (parent.log as { event?: string }[]).filter((e) => e.event === 'extended').length;
}

export interface ExtensionLimitCheck {
  /** EXTENSION_LIMIT: one more extension, or one this long, is beyond the policy. */
  flag?: PolicyFlag;
  /** Within the limits of a policy that approves such extensions itself. */
  autoApproval?: TicketAutoApproval;
}

/** EXTENSION_LIMIT when access extended `done` times may not be extended again. */
export function extensionsExhausted(
  limits: ExtensionPolicy | undefined,
  done: number,
  field: string,
): PolicyFlag | undefined {
  if (limits?.max === undefined || done < limits.max) return undefined;
  return {
    code: 'EXTENSION_LIMIT',
    message: `This access was already extended ${done} time(s); the policy allows ${limits.max}.`,
    field,
  };
}

/** Checks one more extension of access (moving `currentEnd` to `end`) against the policy's `extensions`. */
export function extensionLimits(
  limits: ExtensionPolicy | undefined,
  done: number,
  currentEnd: string,
  end: string,
): ExtensionLimitCheck {
  if (!limits) return {};
  const exhausted = extensionsExhausted(limits, done, 'end');
  if (exhausted) return { flag: exhausted };
  const seconds = (Date.parse(end) - Date.parse(currentEnd)) / 1000;
  if (limits.maxSecondsEach !== undefined && seconds > limits.maxSecondsEach) {
    return {
      flag: {
        code: 'EXTENSION_LIMIT',
        message: `An extension may move the end by at most ${formatSeconds(limits.maxSecondsEach)}; this one asks for ${formatSeconds(seconds)}.`,
        field: 'end',
      },
    };
  }
  if (!limits.autoApproveWithinMax) return {};
  const of = limits.max === undefined ? '' : ` (${done + 1} of ${limits.max})`;
  return { autoApproval: { policies: [], reason: `auto-approved: an extension within the policy's limits${of}` } };
}
