import { registerDecorator, type ValidationOptions } from 'class-validator';
import { KEY_PATTERN } from './ids';

/**
 * A flat map whose keys match KEY_PATTERN and whose values are scalars: safe to store in MongoDB
 * as is (no `$` operators, no dotted paths, no nesting).
 */
export function IsScalarMap(
  options: { maxKeys?: number; maxLength?: number; valueTypes?: ('string' | 'number' | 'boolean')[] } = {},
  validation?: ValidationOptions,
) {
  const maxKeys = options.maxKeys ?? 50;
  const maxLength = options.maxLength ?? 1000;
  const valueTypes = options.valueTypes ?? ['string', 'number', 'boolean'];
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isScalarMap',
      target: object.constructor,
      propertyName,
      options: validation,
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          if (entries.length > maxKeys) return false;
          return entries.every(
            ([k, v]) =>
              KEY_PATTERN.test(k) &&
              valueTypes.includes(typeof v as 'string') &&
              (typeof v !== 'string' || v.length <= maxLength) &&
              (typeof v !== 'number' || Number.isFinite(v)),
          );
        },
        defaultMessage: () =>
          `${propertyName} must be an object of at most ${maxKeys} keys (letters, digits, _ or -, starting with a letter) with ${valueTypes.join(', ')} values`,
      },
    });
}

/** A string that compiles as a regular expression. */
export function IsRegExp(validation?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isRegExp',
      target: object.constructor,
      propertyName,
      options: validation,
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            new RegExp(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: () => `${propertyName} must be a valid regular expression`,
      },
    });
}
