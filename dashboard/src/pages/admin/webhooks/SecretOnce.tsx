// A signing secret the API has just answered (on create or rotate): shown here once, never again, so the
// admin copies it now. Nothing keeps it: leaving the page drops it.
import { useState } from 'react';

export function SecretOnce({ secret, onDone, rotated }: { secret: string; onDone: () => void; rotated?: boolean }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed'); // no clipboard permission (e.g. not https): the field can still be selected
    }
  }

  return (
    <div className="card secret-once" role="region" aria-label="New secret, shown once">
      <p className="notice" role="alert">
        <strong>Copy this signing secret now: it will not be shown again.</strong>{' '}
        {rotated
          ? 'The old secret no longer signs: deliveries from now on are signed with this one, so update your consumer.'
          : 'Your consumer verifies each delivery’s signature with it.'}
      </p>
      <div className="field">
        <label htmlFor="webhook-secret">Signing secret</label>
        <input
          id="webhook-secret"
          readOnly
          value={secret}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
      </div>
      <div className="row">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
        <span role="status">
          {copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Copying failed: select the field and copy it.' : ''}
        </span>
      </div>
    </div>
  );
}
