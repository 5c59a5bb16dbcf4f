import { getMetadataArgsStorage } from 'typeorm';

/**
 * The SELECT list of an entity's columns under a table alias, each named as its property
 * (`u.display_name AS "displayName"`), read from the entity's own decorators: the entity is the one
 * place a table's columns are listed for reading. `except` leaves out secrets (a password hash).
 */
export function selectColumns(entity: Function, alias: string, except: string[] = []): string {
  return getMetadataArgsStorage()
    .filterColumns(entity)
    .filter((column) => !except.includes(column.propertyName))
    .map((column) => {
      const name = column.options.name ?? column.propertyName;
      return name === column.propertyName ? `${alias}.${name}` : `${alias}.${name} AS "${column.propertyName}"`;
    })
    .join(', ');
}
