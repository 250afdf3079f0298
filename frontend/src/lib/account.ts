// The API's rules for new accounts, checked before sending.

export function checkUsername(username: string): string | undefined {
  if (username.length < 3 || username.length > 32) return 'Use 3 to 32 characters.';
  if (!/^[A-Za-z0-9_-]+$/.test(username)) return 'Use only letters, digits, “_” and “-”.';
  return undefined;
}

export function checkPassword(password: string): string | undefined {
  const length = [...password].length;
  if (length < 8) return 'Use at least 8 characters.';
  if (length > 128) return 'Use at most 128 characters.';
  return undefined;
}
