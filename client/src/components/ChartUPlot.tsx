// uPlot in a Solid component: created on mount at the container's width, resized by a
// ResizeObserver, fed new data in place, rebuilt when its options change, destroyed on cleanup.
// The canvas is an image to assistive technology (`label`); pages put the numbers next to it as text.
import { createEffect, on, onCleanup, onMount, untrack } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

export function ChartUPlot(props: { options: ChartOptions; data: uPlot.AlignedData; label: string; height?: number; class?: string }) {
  let container!: HTMLDivElement;
  let chart: uPlot | undefined;
  const height = () => props.height ?? 240;
  const width = () => Math.max(160, Math.floor(container.clientWidth || container.getBoundingClientRect().width || 0));

  const destroy = () => {
    chart?.destroy();
    chart = undefined;
  };

  onMount(() => {
    createEffect(
      on(
        () => props.options,
        (options) => {
          destroy();
          try {
            chart = new uPlot({ ...options, width: width(), height: untrack(height) }, untrack(() => props.data), container);
          } catch (failure) {
            // No canvas (an old browser, a test DOM): the numbers are still on the page as text.
            console.warn('The chart could not be drawn', failure);
            destroy();
          }
        },
      ),
    );
    createEffect(on(() => props.data, (data) => chart?.setData(data), { defer: true }));
    createEffect(on(height, (h) => chart?.setSize({ width: width(), height: h }), { defer: true }));

    let lastWidth = 0;
    const observer =
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver(() => {
            const w = width();
            if (!chart || w === lastWidth) return;
            lastWidth = w;
            chart.setSize({ width: w, height: height() });
          });
    observer?.observe(container);
    onCleanup(() => {
      observer?.disconnect();
      destroy();
    });
  });

  return <div ref={container} role="img" aria-label={props.label} class={`w-full min-w-0 overflow-hidden ${props.class ?? ''}`} />;
}
