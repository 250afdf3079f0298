import { describe, expect, it } from 'vitest';
import { checkPassword, checkUsername } from './account';

describe('account rules', () => {
  it('checks usernames like the API', () => {
    expect(checkUsername('ada')).toBeUndefined();
    expect(checkUsername('Ada_Lovelace-1815')).toBeUndefined();
    expect(checkUsername('ab')).toMatch(/3 to 32/);
    expect(checkUsername('a'.repeat(33))).toMatch(/3 to 32/);
    expect(checkUsername('ada lovelace')).toMatch(/letters, digits/);
    expect(checkUsername('adä')).toMatch(/letters, digits/);
  });

  it('checks password length', () => {
    expect(checkPassword('1234567')).toMatch(/at least 8/);
    expect(checkPassword('12345678')).toBeUndefined();
    expect(checkPassword('x'.repeat(129))).toMatch(/at most 128/);
  });
});
