/**
 * API calls made by a spec itself, through the page's session (the cookie the token link set in this
 * browser context): the same marks the app's own client sends — `X-Netloom-Client: web` and our Origin —
 * so the server treats them like the canvas's requests. `loginLink` is the token link a user opens.
 */
import type { APIRequestContext, APIResponse, Page } from '@playwright/test';
import { CLIENT_HEADER, CLIENT_HEADER_VALUE } from '../../shared/session';

export const E2E_TOKEN = 'e2e-test-token-0123456789abcdef';
export const E2E_PORT = process.env.E2E_PORT ?? '7420';

/** The token link (path + `?token=`; a `#lab` fragment survives the server's redirect). */
export const loginLink = (hash = ''): string => `/?token=${E2E_TOKEN}${hash ? `#${hash}` : ''}`;

type Options = NonNullable<Parameters<APIRequestContext['post']>[1]>;

export interface PageApi {
  get(url: string, o?: Options): Promise<APIResponse>;
  post(url: string, o?: Options): Promise<APIResponse>;
  put(url: string, o?: Options): Promise<APIResponse>;
  delete(url: string, o?: Options): Promise<APIResponse>;
}

export function pageApi(page: Page): PageApi {
  const marks = (o: Options = {}): Options => ({
    ...o,
    headers: {
      [CLIENT_HEADER]: CLIENT_HEADER_VALUE,
      origin: `http://127.0.0.1:${E2E_PORT}`,
      ...(o.headers ?? {}),
    },
  });
  return {
    get: (url, o) => page.request.get(url, marks(o)),
    post: (url, o) => page.request.post(url, marks(o)),
    put: (url, o) => page.request.put(url, marks(o)),
    delete: (url, o) => page.request.delete(url, marks(o)),
  };
}

/**
 * Opens the token link as a user would and lands authenticated: the server swaps the token for a session
 * cookie and redirects to the same page without it (the `#lab` fragment kept).
 */
export async function login(page: Page, hash = ''): Promise<void> {
  await page.goto(loginLink(hash));
  if (new URL(page.url()).searchParams.has('token')) throw new Error(`the token link did not redirect: ${page.url()}`);
}
