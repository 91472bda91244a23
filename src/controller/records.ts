/**
 * The controller's records of one kind: by id (a Map), and grouped by the keys its lookups use
 * (a name, a container, a namespace), kept in step with every set and delete. A pass over N
 * attachments looks each one's network, sandbox and siblings up in O(1), not by scanning all
 * records: linear, not quadratic.
 */
export class Records<T extends { readonly id: string }, K extends string> extends Map<string, T> {
  private groups: Record<K, Map<string, Map<string, T>>> | undefined;

  constructor(private readonly keyOf: Readonly<Record<K, (r: T) => string>>) {
    super();
  }

  // Built on first use: Map's constructor may call set() before the fields exist.
  private index(): Record<K, Map<string, Map<string, T>>> {
    if (!this.groups) {
      this.groups = Object.fromEntries(Object.keys(this.keyOf).map((k) => [k, new Map()])) as Record<K, Map<string, Map<string, T>>>;
      for (const r of super.values()) this.file(r);
    }
    return this.groups;
  }

  /** Files r under each key; `old` (the record it replaces) leaves the groups whose key changed. */
  private file(r: T, old?: T): void {
    const groups = this.index();
    for (const k of Object.keys(this.keyOf) as K[]) {
      const key = this.keyOf[k](r);
      if (old && this.keyOf[k](old) !== key) this.unfile(old, k);
      // Map.set on a present id keeps its place: the first-set order the lookups pick by.
      const members = groups[k].get(key);
      if (members) members.set(r.id, r);
      else groups[k].set(key, new Map([[r.id, r]]));
    }
  }

  private unfile(r: T, k: K): void {
    const key = this.keyOf[k](r);
    const members = this.groups?.[k].get(key);
    members?.delete(r.id);
    if (members?.size === 0) this.groups![k].delete(key);
  }

  override set(id: string, r: T): this {
    const old = super.get(id);
    super.set(id, r);
    if (this.groups) this.file(r, old);
    return this;
  }

  override delete(id: string): boolean {
    const old = super.get(id);
    if (old && this.groups) for (const k of Object.keys(this.keyOf) as K[]) this.unfile(old, k);
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    this.groups = undefined;
  }

  /** The records whose `key` is `value`, in the order they were first set. */
  by(key: K, value: string): T[] {
    const members = this.index()[key].get(value);
    return members ? [...members.values()] : [];
  }
}
