/** ofp_error_type and every code of OpenFlow 1.3.5 §7.4.4. */
export enum ErrorType {
  HELLO_FAILED = 0,
  BAD_REQUEST = 1,
  BAD_ACTION = 2,
  BAD_INSTRUCTION = 3,
  BAD_MATCH = 4,
  FLOW_MOD_FAILED = 5,
  GROUP_MOD_FAILED = 6,
  PORT_MOD_FAILED = 7,
  TABLE_MOD_FAILED = 8,
  QUEUE_OP_FAILED = 9,
  SWITCH_CONFIG_FAILED = 10,
  ROLE_REQUEST_FAILED = 11,
  METER_MOD_FAILED = 12,
  TABLE_FEATURES_FAILED = 13,
  EXPERIMENTER = 0xffff,
}

export enum HelloFailedCode { INCOMPATIBLE = 0, EPERM = 1 }

export enum BadRequestCode {
  BAD_VERSION = 0, BAD_TYPE = 1, BAD_MULTIPART = 2, BAD_EXPERIMENTER = 3, BAD_EXP_TYPE = 4,
  EPERM = 5, BAD_LEN = 6, BUFFER_EMPTY = 7, BUFFER_UNKNOWN = 8, BAD_TABLE_ID = 9,
  IS_SLAVE = 10, BAD_PORT = 11, BAD_PACKET = 12, MULTIPART_BUFFER_OVERFLOW = 13,
}

export enum BadActionCode {
  BAD_TYPE = 0, BAD_LEN = 1, BAD_EXPERIMENTER = 2, BAD_EXP_TYPE = 3, BAD_OUT_PORT = 4,
  BAD_ARGUMENT = 5, EPERM = 6, TOO_MANY = 7, BAD_QUEUE = 8, BAD_OUT_GROUP = 9,
  MATCH_INCONSISTENT = 10, UNSUPPORTED_ORDER = 11, BAD_TAG = 12, BAD_SET_TYPE = 13,
  BAD_SET_LEN = 14, BAD_SET_ARGUMENT = 15,
}

export enum BadInstructionCode {
  UNKNOWN_INST = 0, UNSUP_INST = 1, BAD_TABLE_ID = 2, UNSUP_METADATA = 3,
  UNSUP_METADATA_MASK = 4, BAD_EXPERIMENTER = 5, BAD_EXP_TYPE = 6, BAD_LEN = 7, EPERM = 8,
}

export enum BadMatchCode {
  BAD_TYPE = 0, BAD_LEN = 1, BAD_TAG = 2, BAD_DL_ADDR_MASK = 3, BAD_NW_ADDR_MASK = 4,
  BAD_WILDCARDS = 5, BAD_FIELD = 6, BAD_VALUE = 7, BAD_MASK = 8, BAD_PREREQ = 9,
  DUP_FIELD = 10, EPERM = 11,
}

export enum FlowModFailedCode {
  UNKNOWN = 0, TABLE_FULL = 1, BAD_TABLE_ID = 2, OVERLAP = 3, EPERM = 4, BAD_TIMEOUT = 5,
  BAD_COMMAND = 6, BAD_FLAGS = 7,
}

export enum GroupModFailedCode {
  GROUP_EXISTS = 0, INVALID_GROUP = 1, WEIGHT_UNSUPPORTED = 2, OUT_OF_GROUPS = 3,
  OUT_OF_BUCKETS = 4, CHAINING_UNSUPPORTED = 5, WATCH_UNSUPPORTED = 6, LOOP = 7,
  UNKNOWN_GROUP = 8, CHAINED_GROUP = 9, BAD_TYPE = 10, BAD_COMMAND = 11, BAD_BUCKET = 12,
  BAD_WATCH = 13, EPERM = 14,
}

export enum PortModFailedCode { BAD_PORT = 0, BAD_HW_ADDR = 1, BAD_CONFIG = 2, BAD_ADVERTISE = 3, EPERM = 4 }

export enum TableModFailedCode { BAD_TABLE = 0, BAD_CONFIG = 1, EPERM = 2 }

export enum QueueOpFailedCode { BAD_PORT = 0, BAD_QUEUE = 1, EPERM = 2 }

export enum SwitchConfigFailedCode { BAD_FLAGS = 0, BAD_LEN = 1, EPERM = 2 }

export enum RoleRequestFailedCode { STALE = 0, UNSUP = 1, BAD_ROLE = 2 }

export enum MeterModFailedCode {
  UNKNOWN = 0, METER_EXISTS = 1, INVALID_METER = 2, UNKNOWN_METER = 3, BAD_COMMAND = 4,
  BAD_FLAGS = 5, BAD_RATE = 6, BAD_BURST = 7, BAD_BAND = 8, BAD_BAND_VALUE = 9,
  OUT_OF_METERS = 10, OUT_OF_BANDS = 11,
}

export enum TableFeaturesFailedCode {
  BAD_TABLE = 0, BAD_METADATA = 1, BAD_TYPE = 2, BAD_LEN = 3, BAD_ARGUMENT = 4, EPERM = 5,
}

/** The code enum of each error type, so a (type, code) pair can be named. */
const CODES_BY_TYPE: Readonly<Record<number, Record<number, string> | undefined>> = {
  [ErrorType.HELLO_FAILED]: HelloFailedCode,
  [ErrorType.BAD_REQUEST]: BadRequestCode,
  [ErrorType.BAD_ACTION]: BadActionCode,
  [ErrorType.BAD_INSTRUCTION]: BadInstructionCode,
  [ErrorType.BAD_MATCH]: BadMatchCode,
  [ErrorType.FLOW_MOD_FAILED]: FlowModFailedCode,
  [ErrorType.GROUP_MOD_FAILED]: GroupModFailedCode,
  [ErrorType.PORT_MOD_FAILED]: PortModFailedCode,
  [ErrorType.TABLE_MOD_FAILED]: TableModFailedCode,
  [ErrorType.QUEUE_OP_FAILED]: QueueOpFailedCode,
  [ErrorType.SWITCH_CONFIG_FAILED]: SwitchConfigFailedCode,
  [ErrorType.ROLE_REQUEST_FAILED]: RoleRequestFailedCode,
  [ErrorType.METER_MOD_FAILED]: MeterModFailedCode,
  [ErrorType.TABLE_FEATURES_FAILED]: TableFeaturesFailedCode,
};

/** "FLOW_MOD_FAILED/TABLE_FULL"; unknown values are shown as numbers. */
export function errorName(type: number, code: number): string {
  const typeName = ErrorType[type] ?? `TYPE_${type}`;
  const codeName = CODES_BY_TYPE[type]?.[code] ?? `CODE_${code}`;
  return `${typeName}/${codeName}`;
}
