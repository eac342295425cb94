/**
 * Schema names are spliced into SQL (identifiers cannot be parameters), so they are restricted to
 * lower-case letters, digits and `_`; 40 characters keep the wake-up channel name
 * (`kyc_handoff_wake_<schema>`) within PostgreSQL's 63-byte identifier limit.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `schema name ${JSON.stringify(schema)} is not allowed: use 1-40 lower-case letters, digits or _, ` +
        'not starting with a digit',
    );
  }
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The LISTEN/NOTIFY channel on which the store announces that something became due. */
export function wakeChannel(schema: string): string {
  return `kyc_handoff_wake_${schema}`;
}
