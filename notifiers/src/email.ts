/**
 * Email over SMTP with nodemailer. The transport comes from `SMTP_URL` as nodemailer reads it:
 * `smtps://` is TLS from the first byte, `smtp://` upgrades with STARTTLS when the server offers it, and
 * query options tune the rest (`?requireTLS=true` refuses to send without TLS, `?ignoreTLS=true` never
 * upgrades, for a plain local relay). Credentials in the URL are never logged.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { MessageContent } from './message-content';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export interface EmailSettings {
  smtpUrl: string;
  from: string;
}

export function createMailTransport(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl);
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A notification as an email: `[Gatehouse] <title>`, plain text and a simple HTML twin, both with the ticket's link. */
export function renderEmail(content: MessageContent): EmailMessage {
  const width = Math.max(...content.facts.map(([label]) => label.length));
  const text = [
    ...content.lines,
    '',
    ...content.facts.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`),
    '',
    ...(content.hint ? [content.hint, ''] : []),
    `Open it in Gatehouse: ${content.link}`,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.4">',
    ...content.lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    '<table style="border-collapse: collapse">',
    ...content.facts.map(
      ([label, value]) =>
        `<tr><th style="text-align: left; padding: 2px 12px 2px 0; vertical-align: top">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    ...(content.hint ? [`<p>${escapeHtml(content.hint)}</p>`] : []),
    `<p><a href="${escapeHtml(content.link)}">Open it in Gatehouse</a></p>`,
    '</body></html>',
  ].join('\n');
  return { subject: `[Gatehouse] ${content.title}`, text, html };
}

/** SMTP replies that no retry fixes (RFC 5321 §4.2.1: 5yz is a permanent failure). */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
