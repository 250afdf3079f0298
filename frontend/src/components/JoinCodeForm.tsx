// "Have a code?": the box on the home page where a code read off a screen opens its poll
// (through /j/CODE, which looks it up).
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';

export function JoinCodeForm() {
  const id = useId();
  const [code, setCode] = useState('');
  const navigate = useNavigate();
  function submit(event: FormEvent) {
    event.preventDefault();
    const typed = code.replace(/[\s-]/g, '').toUpperCase();
    if (typed) void navigate(`/j/${encodeURIComponent(typed)}`);
  }
  return (
    <form className="join-code-form" onSubmit={submit} data-testid="join-code-form">
      <label htmlFor={id}>Have a code? Type it to open the poll</label>{' '}
      <input
        id={id}
        value={code}
        onChange={(e) => setCode(e.target.value)}
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        maxLength={12}
        size={8}
        inputMode="text"
      />{' '}
      <button type="submit" className="button button-secondary">
        Open
      </button>
    </form>
  );
}
