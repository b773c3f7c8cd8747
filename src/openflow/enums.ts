/**
 * Numeric constants of OpenFlow 1.3.5, named as in openflow.h without the OFP prefix.
 * Regular (not const) enums, so names are available at run time for logs and errors.
 */
export const OFP_VERSION = 0x04;
export const OFP_HEADER_LEN = 8;
export const OFP_MAX_MESSAGE_LEN = 0xffff;
/** Value of buffer_id meaning "no buffered packet; the data is in the message". */
export const OFP_NO_BUFFER = 0xffffffff;

export enum MessageType {
  HELLO = 0,
  ERROR = 1,
  ECHO_REQUEST = 2,
  ECHO_REPLY = 3,
  EXPERIMENTER = 4,
  FEATURES_REQUEST = 5,
  FEATURES_REPLY = 6,
  GET_CONFIG_REQUEST = 7,
  GET_CONFIG_REPLY = 8,
  SET_CONFIG = 9,
  PACKET_IN = 10,
  FLOW_REMOVED = 11,
  PORT_STATUS = 12,
  PACKET_OUT = 13,
  FLOW_MOD = 14,
  GROUP_MOD = 15,
  PORT_MOD = 16,
  TABLE_MOD = 17,
  MULTIPART_REQUEST = 18,
  MULTIPART_REPLY = 19,
  BARRIER_REQUEST = 20,
  BARRIER_REPLY = 21,
  QUEUE_GET_CONFIG_REQUEST = 22,
  QUEUE_GET_CONFIG_REPLY = 23,
  ROLE_REQUEST = 24,
  ROLE_REPLY = 25,
  GET_ASYNC_REQUEST = 26,
  GET_ASYNC_REPLY = 27,
  SET_ASYNC = 28,
  METER_MOD = 29,
}

export enum HelloElemType {
  VERSIONBITMAP = 1,
}

/** Reserved port numbers (ofp_port_no). */
export enum PortNo {
  MAX = 0xffffff00,
  IN_PORT = 0xfffffff8,
  TABLE = 0xfffffff9,
  NORMAL = 0xfffffffa,
  FLOOD = 0xfffffffb,
  ALL = 0xfffffffc,
  CONTROLLER = 0xfffffffd,
  LOCAL = 0xfffffffe,
  ANY = 0xffffffff,
}

export enum TableId {
  MAX = 0xfe,
  ALL = 0xff,
}

export enum GroupId {
  MAX = 0xffffff00,
  ALL = 0xfffffffc,
  ANY = 0xffffffff,
}

export enum MeterId {
  MAX = 0xffff0000,
  SLOWPATH = 0xfffffffd,
  CONTROLLER = 0xfffffffe,
  ALL = 0xffffffff,
}

/** max_len value of an output action asking for the whole packet, unbuffered. */
export const OFPCML_NO_BUFFER = 0xffff;

export enum Capabilities {
  FLOW_STATS = 1 << 0,
  TABLE_STATS = 1 << 1,
  PORT_STATS = 1 << 2,
  GROUP_STATS = 1 << 3,
  IP_REASM = 1 << 5,
  QUEUE_STATS = 1 << 6,
  PORT_BLOCKED = 1 << 8,
}

export enum ConfigFlags {
  FRAG_NORMAL = 0,
  FRAG_DROP = 1,
  FRAG_REASM = 2,
  FRAG_MASK = 3,
}

export enum PortConfig {
  PORT_DOWN = 1 << 0,
  NO_RECV = 1 << 2,
  NO_FWD = 1 << 5,
  NO_PACKET_IN = 1 << 6,
}

export enum PortState {
  LINK_DOWN = 1 << 0,
  BLOCKED = 1 << 1,
  LIVE = 1 << 2,
}

export enum PortFeatures {
  '10MB_HD' = 1 << 0,
  '10MB_FD' = 1 << 1,
  '100MB_HD' = 1 << 2,
  '100MB_FD' = 1 << 3,
  '1GB_HD' = 1 << 4,
  '1GB_FD' = 1 << 5,
  '10GB_FD' = 1 << 6,
  '40GB_FD' = 1 << 7,
  '100GB_FD' = 1 << 8,
  '1TB_FD' = 1 << 9,
  OTHER = 1 << 10,
  COPPER = 1 << 11,
  FIBER = 1 << 12,
  AUTONEG = 1 << 13,
  PAUSE = 1 << 14,
  PAUSE_ASYM = 1 << 15,
}

export enum PortReason {
  ADD = 0,
  DELETE = 1,
  MODIFY = 2,
}

export enum PacketInReason {
  NO_MATCH = 0,
  ACTION = 1,
  INVALID_TTL = 2,
}

export enum FlowRemovedReason {
  IDLE_TIMEOUT = 0,
  HARD_TIMEOUT = 1,
  DELETE = 2,
  GROUP_DELETE = 3,
}

export enum FlowModCommand {
  ADD = 0,
  MODIFY = 1,
  MODIFY_STRICT = 2,
  DELETE = 3,
  DELETE_STRICT = 4,
}

export enum FlowModFlags {
  SEND_FLOW_REM = 1 << 0,
  CHECK_OVERLAP = 1 << 1,
  RESET_COUNTS = 1 << 2,
  NO_PKT_COUNTS = 1 << 3,
  NO_BYT_COUNTS = 1 << 4,
}

export enum GroupModCommand {
  ADD = 0,
  MODIFY = 1,
  DELETE = 2,
}

export enum GroupType {
  ALL = 0,
  SELECT = 1,
  INDIRECT = 2,
  FF = 3,
}

export enum GroupCapabilities {
  SELECT_WEIGHT = 1 << 0,
  SELECT_LIVENESS = 1 << 1,
  CHAINING = 1 << 2,
  CHAINING_CHECKS = 1 << 3,
}

export enum TableConfig {
  DEPRECATED_MASK = 3,
}

export enum MeterModCommand {
  ADD = 0,
  MODIFY = 1,
  DELETE = 2,
}

export enum MeterFlags {
  KBPS = 1 << 0,
  PKTPS = 1 << 1,
  BURST = 1 << 2,
  STATS = 1 << 3,
}

export enum MeterBandType {
  DROP = 1,
  DSCP_REMARK = 2,
  EXPERIMENTER = 0xffff,
}

export enum MultipartType {
  DESC = 0,
  FLOW = 1,
  AGGREGATE = 2,
  TABLE = 3,
  PORT_STATS = 4,
  QUEUE = 5,
  GROUP = 6,
  GROUP_DESC = 7,
  GROUP_FEATURES = 8,
  METER = 9,
  METER_CONFIG = 10,
  METER_FEATURES = 11,
  TABLE_FEATURES = 12,
  PORT_DESC = 13,
  EXPERIMENTER = 0xffff,
}

export enum MultipartFlags {
  REQ_MORE = 1,
  // biome-ignore lint/suspicious/noDuplicateEnumValues: the spec gives the request's and the reply's flag the same bit.
  REPLY_MORE = 1,
}

export enum ControllerRole {
  NOCHANGE = 0,
  EQUAL = 1,
  MASTER = 2,
  SLAVE = 3,
}

export enum QueueProperty {
  MIN_RATE = 1,
  MAX_RATE = 2,
  EXPERIMENTER = 0xffff,
}

export enum ActionType {
  OUTPUT = 0,
  COPY_TTL_OUT = 11,
  COPY_TTL_IN = 12,
  SET_MPLS_TTL = 15,
  DEC_MPLS_TTL = 16,
  PUSH_VLAN = 17,
  POP_VLAN = 18,
  PUSH_MPLS = 19,
  POP_MPLS = 20,
  SET_QUEUE = 21,
  GROUP = 22,
  SET_NW_TTL = 23,
  DEC_NW_TTL = 24,
  SET_FIELD = 25,
  PUSH_PBB = 26,
  POP_PBB = 27,
  EXPERIMENTER = 0xffff,
}

export enum InstructionType {
  GOTO_TABLE = 1,
  WRITE_METADATA = 2,
  WRITE_ACTIONS = 3,
  APPLY_ACTIONS = 4,
  CLEAR_ACTIONS = 5,
  METER = 6,
  EXPERIMENTER = 0xffff,
}

export enum MatchType {
  STANDARD = 0,
  OXM = 1,
}

export enum OxmClass {
  NXM_0 = 0x0000,
  NXM_1 = 0x0001,
  OPENFLOW_BASIC = 0x8000,
  EXPERIMENTER = 0xffff,
}

/** vlan_vid flag: a VLAN tag is present. */
export const OFPVID_PRESENT = 0x1000;
export const OFPVID_NONE = 0x0000;
