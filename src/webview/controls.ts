/// <reference lib="dom" />
import { h } from './dom';

/** A @vscode-elements button; keyboard (Enter, Space) and mouse both arrive as click. */
export function button(label: string, opts: { key: string; secondary?: boolean; disabled?: boolean; title?: string; onClick: () => void; extra?: Record<string, string> }): HTMLElement {
  return h(
    'vscode-button',
    {
      'data-focus-key': opts.key,
      secondary: opts.secondary === true,
      disabled: opts.disabled === true,
      title: opts.title,
      ...(opts.extra ?? {}),
      on: {
        click: (ev: MouseEvent) => {
          const el = ev.currentTarget as HTMLElement;
          if (el.hasAttribute('disabled')) return;
          opts.onClick();
        },
      },
    },
    label,
  );
}
