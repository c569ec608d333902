/**
 * Where a phone number is, offline, for the `caller_no_*` / `api_no_*` fields of callback requests:
 * a small table of NANP area codes and country codes (a few cities where the number says so).
 * Longest prefix wins; anything unknown is null rather than a guess (a +1 area code that is not
 * listed could be the US, Canada or the Caribbean).
 */

export interface NumberInfo {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** State or province code where the prefix pins it down, else null. */
  region: string | null;
  city: string | null;
  /** IANA zone; null for a country that spans several. */
  timezone: string | null;
}

type Row = [country: string, region: string | null, city: string | null, timezone: string | null];

const LA = 'America/Los_Angeles';
const NY = 'America/New_York';
const CHI = 'America/Chicago';
const DEN = 'America/Denver';

/** Keys are E.164 digits without '+'. */
const PREFIXES: Record<string, Row> = {
  // NANP: United States
  '1714': ['US', 'CA', 'Anaheim', LA],
  '1949': ['US', 'CA', 'Newport Beach', LA],
  '1415': ['US', 'CA', 'San Francisco', LA],
  '1628': ['US', 'CA', 'San Francisco', LA],
  '1213': ['US', 'CA', 'Los Angeles', LA],
  '1310': ['US', 'CA', 'Los Angeles', LA],
  '1323': ['US', 'CA', 'Los Angeles', LA],
  '1818': ['US', 'CA', 'Los Angeles', LA],
  '1619': ['US', 'CA', 'San Diego', LA],
  '1408': ['US', 'CA', 'San Jose', LA],
  '1510': ['US', 'CA', 'Oakland', LA],
  '1916': ['US', 'CA', 'Sacramento', LA],
  '1206': ['US', 'WA', 'Seattle', LA],
  '1503': ['US', 'OR', 'Portland', LA],
  '1702': ['US', 'NV', 'Las Vegas', LA],
  '1602': ['US', 'AZ', 'Phoenix', 'America/Phoenix'],
  '1303': ['US', 'CO', 'Denver', DEN],
  '1801': ['US', 'UT', 'Salt Lake City', DEN],
  '1212': ['US', 'NY', 'New York', NY],
  '1646': ['US', 'NY', 'New York', NY],
  '1718': ['US', 'NY', 'New York', NY],
  '1917': ['US', 'NY', 'New York', NY],
  '1202': ['US', 'DC', 'Washington', NY],
  '1617': ['US', 'MA', 'Boston', NY],
  '1215': ['US', 'PA', 'Philadelphia', NY],
  '1404': ['US', 'GA', 'Atlanta', NY],
  '1305': ['US', 'FL', 'Miami', NY],
  '1407': ['US', 'FL', 'Orlando', NY],
  '1313': ['US', 'MI', 'Detroit', 'America/Detroit'],
  '1312': ['US', 'IL', 'Chicago', CHI],
  '1773': ['US', 'IL', 'Chicago', CHI],
  '1214': ['US', 'TX', 'Dallas', CHI],
  '1713': ['US', 'TX', 'Houston', CHI],
  '1512': ['US', 'TX', 'Austin', CHI],
  '1612': ['US', 'MN', 'Minneapolis', CHI],
  '1504': ['US', 'LA', 'New Orleans', CHI],
  '1808': ['US', 'HI', 'Honolulu', 'Pacific/Honolulu'],
  '1907': ['US', 'AK', 'Anchorage', 'America/Anchorage'],
  // Toll-free NANP numbers say nothing about place beyond the plan.
  // NANP: Canada
  '1416': ['CA', 'ON', 'Toronto', 'America/Toronto'],
  '1647': ['CA', 'ON', 'Toronto', 'America/Toronto'],
  '1613': ['CA', 'ON', 'Ottawa', 'America/Toronto'],
  '1514': ['CA', 'QC', 'Montreal', 'America/Toronto'],
  '1604': ['CA', 'BC', 'Vancouver', 'America/Vancouver'],
  '1403': ['CA', 'AB', 'Calgary', 'America/Edmonton'],
  // Europe
  '33': ['FR', null, null, 'Europe/Paris'],
  '331': ['FR', 'IDF', 'Paris', 'Europe/Paris'],
  '44': ['GB', null, null, 'Europe/London'],
  '4420': ['GB', 'ENG', 'London', 'Europe/London'],
  '49': ['DE', null, null, 'Europe/Berlin'],
  '4930': ['DE', 'BE', 'Berlin', 'Europe/Berlin'],
  '4989': ['DE', 'BY', 'Munich', 'Europe/Berlin'],
  '34': ['ES', null, null, 'Europe/Madrid'],
  '3491': ['ES', 'MD', 'Madrid', 'Europe/Madrid'],
  '39': ['IT', null, null, 'Europe/Rome'],
  '3906': ['IT', '62', 'Rome', 'Europe/Rome'],
  '3902': ['IT', '25', 'Milan', 'Europe/Rome'],
  '31': ['NL', null, null, 'Europe/Amsterdam'],
  '32': ['BE', null, null, 'Europe/Brussels'],
  '41': ['CH', null, null, 'Europe/Zurich'],
  '43': ['AT', null, null, 'Europe/Vienna'],
  '351': ['PT', null, null, 'Europe/Lisbon'],
  '353': ['IE', null, null, 'Europe/Dublin'],
  '352': ['LU', null, null, 'Europe/Luxembourg'],
  '45': ['DK', null, null, 'Europe/Copenhagen'],
  '46': ['SE', null, null, 'Europe/Stockholm'],
  '47': ['NO', null, null, 'Europe/Oslo'],
  '358': ['FI', null, null, 'Europe/Helsinki'],
  '48': ['PL', null, null, 'Europe/Warsaw'],
  '420': ['CZ', null, null, 'Europe/Prague'],
  '30': ['GR', null, null, 'Europe/Athens'],
  // Elsewhere
  '61': ['AU', null, null, null],
  '64': ['NZ', null, null, 'Pacific/Auckland'],
  '81': ['JP', null, null, 'Asia/Tokyo'],
  '82': ['KR', null, null, 'Asia/Seoul'],
  '86': ['CN', null, null, 'Asia/Shanghai'],
  '852': ['HK', null, null, 'Asia/Hong_Kong'],
  '65': ['SG', null, null, 'Asia/Singapore'],
  '91': ['IN', null, null, 'Asia/Kolkata'],
  '971': ['AE', null, null, 'Asia/Dubai'],
  '972': ['IL', null, null, 'Asia/Jerusalem'],
  '27': ['ZA', null, null, 'Africa/Johannesburg'],
  '52': ['MX', null, null, null],
  '55': ['BR', null, null, null],
  '54': ['AR', null, null, 'America/Argentina/Buenos_Aires'],
};

const LONGEST = Math.max(...Object.keys(PREFIXES).map((k) => k.length));

/** Looks up an E.164 number (`+19495551212`; spaces, dashes, dots and parentheses ignored). */
export function numberInfo(number: string): NumberInfo | null {
  if (typeof number !== 'string' || number.length > 64) return null;
  const cleaned = number.replace(/[\s().-]/g, '');
  if (!/^\+[1-9][0-9]{6,14}$/.test(cleaned)) return null;
  const digits = cleaned.slice(1);
  for (let len = Math.min(LONGEST, digits.length); len > 0; len--) {
    const row = Object.hasOwn(PREFIXES, digits.slice(0, len)) ? PREFIXES[digits.slice(0, len)] : undefined;
    if (row) return { country: row[0], region: row[1], city: row[2], timezone: row[3] };
  }
  return null;
}
