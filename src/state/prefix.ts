/** The prefix length of a canonical CIDR string. */
export const prefixOf = (cidr: string): number => Number(cidr.slice(cidr.indexOf('/') + 1));
