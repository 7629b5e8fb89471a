// The page's script: a match's commentary that misses no line — across a dropped connection
// (EventSource comes back with Last-Event-ID) and after a long one (the reset event).
export interface Line {
  n: number;
  minute: number;
  text: string;
}

export function followMatch(origin: string, matchId: string, show: (lines: Line[]) => void): EventSource {
  const base = `${origin}/matches/${encodeURIComponent(matchId)}`;
  // Kept by number: a line that arrives twice (live and in a reload) counts once.
  const lines = new Map<number, Line>();
  const render = () => show([...lines.values()].sort((a, b) => a.n - b.n));

  const source = new EventSource(`${base}/live`);
  source.addEventListener('line', (event) => {
    const line = JSON.parse(event.data) as Line;
    lines.set(line.n, line);
    render();
  });
  // Lines were lost (the client was away longer than the history lasts): load them all again.
  const reload = async () => {
    const response = await fetch(base);
    const commentary = (await response.json()) as { lines: Line[] };
    for (const line of commentary.lines) {
      lines.set(line.n, line);
    }
    render();
  };
  source.addEventListener('sse-reset', () => void reload());
  // The server is going down (a deploy): EventSource reconnects by itself, to the next instance.
  source.addEventListener('sse-shutdown', () => console.info('reconnecting…'));
  return source;
}
