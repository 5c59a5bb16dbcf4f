import type { ListedSession } from '../sessions/sessions.service';
import type { UserView } from '../users/user.entity';
import { html, SafeHtml } from './html';

export const STYLESHEET_PATH = '/assets/tessera.css';

function layout(title: string, body: SafeHtml, narrow = false): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Tessera</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="${narrow ? 'narrow' : ''}">
${body}
</main>
</body>
</html>
`.text;
}

const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

export interface LoginView {
  csrfToken: string;
  apps: string[];
  next: string;
  username?: string;
  currentApp?: string;
  /** Shown above the fields; never says which of username and password was wrong. */
  formError?: string;
  fieldErrors?: Partial<Record<'username' | 'password' | 'currentApp', string>>;
}

function field(name: 'username' | 'password', label: string, view: LoginView, autofocus: boolean): SafeHtml {
  const error = view.fieldErrors?.[name];
  const type = name === 'password' ? 'password' : 'text';
  const value = name === 'username' ? (view.username ?? '') : '';
  return html`<label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="${type}" value="${value}" autocomplete="${name === 'password' ? 'current-password' : 'username'}"
  required${error ? html` aria-invalid="true" aria-describedby="${name}-error"` : ''}${autofocus ? html` autofocus` : ''}>
${error && html`<p class="field-error" id="${name}-error">${error}</p>`}`;
}

export function loginPage(view: LoginView): string {
  const errors = view.fieldErrors ?? {};
  const firstInvalid = errors.username ? 'username' : errors.password ? 'password' : errors.currentApp ? 'currentApp' : view.formError ? 'username' : '';
  const appError = errors.currentApp;
  const selected = view.currentApp ?? view.apps[0];
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
<form class="login" method="post" action="/login" novalidate>
${csrfField(view.csrfToken)}
<input type="hidden" name="next" value="${view.next}">
${view.formError && html`<p class="alert" role="alert" id="form-error">${view.formError}</p>`}
${field('username', 'Username', view, firstInvalid === 'username' || firstInvalid === '')}
${field('password', 'Password', view, firstInvalid === 'password')}
<label for="totpCode">One-time code (if your account uses an authenticator app)</label>
<input id="totpCode" name="totpCode" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="16" value="">
<label for="currentApp">Application</label>
<select id="currentApp" name="currentApp"${appError ? html` aria-invalid="true" aria-describedby="currentApp-error"` : ''}${firstInvalid === 'currentApp' ? html` autofocus` : ''}>
${view.apps.map((app) => html`<option value="${app}"${app === selected ? html` selected` : ''}>${app}</option>`)}
</select>
${appError && html`<p class="field-error" id="currentApp-error">${appError}</p>`}
<button type="submit">Sign in</button>
</form>`,
    true,
  );
}

export interface AccountView {
  csrfToken: string;
  user: Pick<UserView, 'username' | 'displayName' | 'email'>;
  sessions: ListedSession[];
  notice?: string;
}

/** `2026-12-01 09:30 UTC`, inside a machine-readable `<time>`. */
function time(at: Date): SafeHtml {
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function sessionRow(session: ListedSession, csrfToken: string): SafeHtml {
  const what = html`<span class="visually-hidden"> the session from ${session.currentApp}, signed in ${time(session.createdAt)}</span>`;
  return html`<tr${session.current ? html` aria-current="true"` : ''}>
<td>${session.currentApp}${session.current && html` <span class="tag">This device</span>`}</td>
<td>${session.remoteAddr ?? 'unknown'}</td>
<td class="agent">${session.userAgent ?? 'unknown'}</td>
<td>${time(session.createdAt)}</td>
<td>${time(session.expiresAt)}</td>
<td>${
    session.current
      ? html`<span class="visually-hidden">This session: use Log out below</span>`
      : html`<form method="post" action="/account/revoke">${csrfField(csrfToken)}<input type="hidden" name="session" value="${session.id}"><button type="submit" class="danger">Revoke${what}</button></form>`
  }</td>
</tr>`;
}

export function accountPage(view: AccountView): string {
  const { user, sessions, csrfToken } = view;
  const others = sessions.filter((s) => !s.current).length;
  return layout(
    'Your account',
    html`<h1>Your account</h1>
${view.notice && html`<p class="notice" role="status">${view.notice}</p>`}
<dl>
<dt>Username</dt><dd>${user.username}</dd>
${user.displayName && html`<dt>Name</dt><dd>${user.displayName}</dd>`}
${user.email && html`<dt>Email</dt><dd>${user.email}</dd>`}
</dl>
<h2 id="sessions-heading">Your sessions</h2>
<table aria-labelledby="sessions-heading">
<thead><tr><th scope="col">Application</th><th scope="col">Address</th><th scope="col">Browser</th><th scope="col">Signed in</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${sessions.map((s) => sessionRow(s, csrfToken))}
</tbody>
</table>
<div class="actions">
${others > 0 && html`<form method="post" action="/account/revoke-others">${csrfField(csrfToken)}<button type="submit" class="secondary">Revoke all other sessions</button></form>`}
<form method="post" action="/account/logout">${csrfField(csrfToken)}<button type="submit">Log out</button></form>
</div>`,
  );
}

export function errorPage(title: string, message: string, link?: { href: string; text: string }): string {
  return layout(title, html`<h1>${title}</h1><p>${message}</p>${link && html`<p><a href="${link.href}">${link.text}</a></p>`}`, true);
}
