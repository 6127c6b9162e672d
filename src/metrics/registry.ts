/**
 * A set of named metrics rendered together: counters, gauges and histograms,
 * plain or labelled, plus values read only when scraped (process figures,
 * the node's status). Scrape hooks refresh sampled gauges before a render.
 *
 * @module
 */

import { Counter, Gauge } from "./counter.ts";
import { type MetricType, writeHeader, writeHistogram, writeSample } from "./exposition.ts";
import { Family } from "./family.ts";
import { Histogram } from "./histogram.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const NO_LABELS = { names: [] as readonly string[], values: [] as readonly string[] };

/** Labelled samples read at scrape time: label values and a number each. */
export type Samples = Iterable<readonly [readonly string[], number]>;

interface Entry {
  name: string;
  help: string;
  type: MetricType;
  /** Appends the sample lines; false when there are none (the header is then left out). */
  write(out: string[]): boolean;
}

/**
 * Named metrics and the text of a scrape.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const registry = new Registry();
 * registry.counter("demo_writes_total", "Writes served.").inc(3);
 * const text = await registry.scrape();
 * if (!text.includes("demo_writes_total 3\n")) throw new Error(text);
 * ```
 */
export class Registry {
  readonly #entries: Entry[] = [];
  readonly #names = new Set<string>();
  readonly #hooks: (() => void | Promise<void>)[] = [];

  #add(name: string, help: string, type: MetricType, write: (out: string[]) => boolean): void {
    if (!METRIC_NAME.test(name)) throw new RangeError(`Invalid metric name "${name}"`);
    if (this.#names.has(name)) throw new RangeError(`Metric "${name}" is already registered`);
    this.#names.add(name);
    this.#entries.push({ name, help, type, write });
  }

  /** A counter. */
  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.#add(name, help, "counter", (out) => {
      writeSample(out, name, NO_LABELS, counter.value);
      return true;
    });
    return counter;
  }

  /** A gauge. */
  gauge(name: string, help: string): Gauge {
    const gauge = new Gauge();
    this.#add(name, help, "gauge", (out) => {
      writeSample(out, name, NO_LABELS, gauge.value);
      return true;
    });
    return gauge;
  }

  /** A histogram with these finite bucket bounds. */
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    const histogram = new Histogram(bounds);
    this.#add(name, help, "histogram", (out) => {
      writeHistogram(out, name, NO_LABELS, histogram);
      return true;
    });
    return histogram;
  }

  /** Counters by label values. */
  counterFamily(name: string, help: string, labelNames: readonly string[]): Family<Counter> {
    return this.#family(name, help, "counter", new Family(labelNames, () => new Counter()));
  }

  /** Gauges by label values. */
  gaugeFamily(name: string, help: string, labelNames: readonly string[]): Family<Gauge> {
    return this.#family(name, help, "gauge", new Family(labelNames, () => new Gauge()));
  }

  #family<T extends Counter | Gauge>(
    name: string,
    help: string,
    type: MetricType,
    family: Family<T>,
  ): Family<T> {
    this.#add(name, help, type, (out) => {
      let any = false;
      for (const [values, child] of family.entries()) {
        writeSample(out, name, { names: family.labelNames, values }, child.value);
        any = true;
      }
      return any;
    });
    return family;
  }

  /** Histograms by label values, each with these bucket bounds. */
  histogramFamily(
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds: readonly number[],
  ): Family<Histogram> {
    new Histogram(bounds); // refuses bad bounds now rather than at first use
    const family = new Family(labelNames, () => new Histogram(bounds));
    this.#add(name, help, "histogram", (out) => {
      let any = false;
      for (const [values, child] of family.entries()) {
        writeHistogram(out, name, { names: family.labelNames, values }, child);
        any = true;
      }
      return any;
    });
    return family;
  }

  /** A value read when scraped; `undefined` leaves the metric out of that scrape. */
  sampled(
    name: string,
    help: string,
    type: "counter" | "gauge",
    read: () => number | undefined,
  ): void {
    this.#add(name, help, type, (out) => {
      const value = read();
      if (value === undefined) return false;
      writeSample(out, name, NO_LABELS, value);
      return true;
    });
  }

  /** Labelled values read when scraped (a leader's view of its followers). */
  sampledFamily(
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Samples,
  ): void {
    new Family(labelNames, () => null); // validates the label names
    this.#add(name, help, "gauge", (out) => {
      let any = false;
      for (const [values, value] of read()) {
        writeSample(out, name, { names: labelNames, values }, value);
        any = true;
      }
      return any;
    });
  }

  /** Runs `hook` before every scrape (and every {@link collect}), in registration order. */
  onScrape(hook: () => void | Promise<void>): void {
    this.#hooks.push(hook);
  }

  /** Runs the scrape hooks, so sampled gauges hold fresh values. */
  async collect(): Promise<void> {
    for (const hook of this.#hooks) await hook();
  }

  /** Every metric in the text format, as the registry holds it now (no hooks run). */
  render(): string {
    const out: string[] = [];
    for (const entry of this.#entries) {
      const header = out.length;
      out.push("");
      if (entry.write(out)) {
        const lines: string[] = [];
        writeHeader(lines, entry.name, entry.help, entry.type);
        out[header] = lines[0]!;
      } else {
        out.length = header;
      }
    }
    return out.join("");
  }

  /** Runs the hooks and renders: the body of `GET /metrics`. */
  async scrape(): Promise<string> {
    await this.collect();
    return this.render();
  }
}
