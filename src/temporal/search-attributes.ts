/** sagent's search attributes on a namespace: registered when missing, refused when registered with another type. */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTES } from '../shared/constants';
import { TemporalConfigError } from './connection';

/**
 * Registers every {@link SEARCH_ATTRIBUTES} entry that is missing on the server (a server started elsewhere);
 * tolerates a concurrent registration and refuses an attribute registered with another type.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...listed.systemAttributes, ...listed.customAttributes };
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    const wanted = indexedValueType(type);
    const registered = known[name];
    if (registered === undefined) missing[name] = wanted;
    else if (registered !== wanted) {
      throw new TemporalConfigError(
        `search attribute ${name} is registered with another type than ${type} in namespace ${namespace}: ` + 'remove it or use a fresh server',
      );
    }
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS)) throw err;
  }
}

const GRPC_ALREADY_EXISTS = 6;

/** 'KeywordList' (the CLI's spelling) -> 'KEYWORD_LIST' (the SDK's). */
export function sdkSearchAttributeType(type: string): SearchAttributeType {
  return type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as SearchAttributeType;
}

function indexedValueType(type: string): number {
  const encoded = encodeSearchAttributeIndexedValueType(sdkSearchAttributeType(type));
  if (encoded === undefined) throw new TemporalConfigError(`unknown search attribute type ${type}: fix SEARCH_ATTRIBUTES`);
  return encoded;
}
