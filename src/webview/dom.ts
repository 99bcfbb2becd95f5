/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * A tiny element builder. No innerHTML anywhere (nothing the host sends is ever parsed as HTML),
 * and styles only through CSSOM (`style` below), which the webview's CSP allows where a style
 * attribute would be refused.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  class?: string | false | null | (string | false | null | undefined)[];
  /** CSS properties set with style.setProperty (custom properties included). */
  style?: Record<string, string>;
  /** Event listeners: { click: fn }. */
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
  /** Attributes: false/null/undefined leave the attribute out; true sets it empty. */
  [attr: string]: unknown;
}

export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') {
        const cls = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
        if (typeof cls === 'string' && cls) el.className = cls;
      } else if (k === 'style') {
        for (const [p, val] of Object.entries(v as Record<string, string>)) el.style.setProperty(p, val);
      } else if (k === 'on') {
        for (const [ev, fn] of Object.entries(v as Record<string, EventListener>)) el.addEventListener(ev, fn);
      } else if (v === true) {
        el.setAttribute(k, '');
      } else if (v !== false && v !== null && v !== undefined) {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === 'string' || typeof c === 'number') el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c as Node);
  }
}

/**
 * Replaces a section's content, keeping keyboard focus and scroll position: the focused element
 * is found again by its `data-focus-key`, so a state push (up to twice a second) never throws a
 * keyboard user back to the top of the page.
 */
export function replaceSection(section: HTMLElement, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && section.contains(active) ? active.dataset.focusKey : undefined;
  const scrollers = [...section.querySelectorAll<HTMLElement>('[data-scroll-key]')].map((s) => [s.dataset.scrollKey, s.scrollTop] as const);
  const frag = document.createDocumentFragment();
  append(frag, children);
  section.replaceChildren(frag);
  for (const [k, top] of scrollers) {
    const s = section.querySelector<HTMLElement>(`[data-scroll-key="${cssEscape(k ?? '')}"]`);
    if (s) s.scrollTop = top;
  }
  if (key !== undefined) section.querySelector<HTMLElement>(`[data-focus-key="${cssEscape(key)}"]`)?.focus({ preventScroll: true });
}

export function cssEscape(s: string): string {
  return typeof CSS !== 'undefined' && typeof CSS.escape === 'function' ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
}
