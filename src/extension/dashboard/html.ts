import { randomBytes } from 'node:crypto';
import { DASHBOARD_TITLE } from '../../shared/dashboardConstants';

/**
 * The dashboard webview's HTML (STYLE.md habit 17): a strict Content-Security-Policy, the one
 * script allowed by a fresh crypto nonce, styles and fonts only from the extension's own
 * media/dist folder (`cspSource`), nothing inline, no network. Kept free of `vscode` so the
 * browser tests load exactly this page.
 */

export interface DashboardHtmlParts {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(media/dist/dashboard.js)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(media/dist/dashboard.css)`, as a string. */
  styleUri: string;
  /** Defaults to a fresh one. */
  nonce?: string;
}

/** 128 random bits, base64: a nonce must be unguessable and new for every page. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function dashboardHtml(parts: DashboardHtmlParts): string {
  const nonce = parts.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(parts.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(parts.styleUri)}">
<title>${DASHBOARD_TITLE}</title>
</head>
<body>
<main id="app"></main>
<script nonce="${attr(nonce)}" src="${attr(parts.scriptUri)}"></script>
</body>
</html>
`;
}
