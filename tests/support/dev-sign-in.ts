/** A guest signed in through the server's dev auth (`POST /api/auth/dev`). */
export async function devSignIn(baseUrl: string, name: string): Promise<{ token: string; userId: string }> {
  const response = await fetch(`${baseUrl}/api/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id };
}
