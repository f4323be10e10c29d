// requestAnimationFrame where there is one; a 16 ms timer where there is none (Node, some jsdom).
export const nextFrame: (run: () => void) => number =
  typeof requestAnimationFrame === 'function' ? (run) => requestAnimationFrame(run) : (run) => setTimeout(run, 16) as unknown as number;
export const cancelFrame: (id: number) => void =
  typeof cancelAnimationFrame === 'function' ? (id) => cancelAnimationFrame(id) : (id) => clearTimeout(id);
