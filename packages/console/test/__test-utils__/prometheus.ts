import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

/** A scrape as a Prometheus server reads it: families by name (the parser throws on a bad line). */
export class Scrape {
  readonly families: ReadonlyMap<string, ParsedFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  }

  family(name: string): ParsedFamily {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`no metric ${name} in the scrape`);
    return family;
  }

  /** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const matches = this.family(name).metrics.filter((s) =>
      Object.entries(labels).every(([k, v]) => s.labels?.[k] === v),
    );
    if (matches.length > 1)
      throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} samples`);
    const raw = matches[0]?.value;
    return raw === undefined ? undefined : Number(raw);
  }

  /** Every sample of `name` as [labels, value]. */
  samples(name: string): [Record<string, string>, number][] {
    return this.family(name).metrics.map((s) => [s.labels ?? {}, Number(s.value)]);
  }

  /** The sum of every sample of `name` whose labels include `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name)
      .filter(([l]) => Object.entries(labels).every(([k, v]) => l[k] === v))
      .reduce((a, [, v]) => a + v, 0);
  }
}
