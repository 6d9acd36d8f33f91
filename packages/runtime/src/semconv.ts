/**
 * Messaging attribute names, copied from the incubating semantic conventions (the package
 * advises against importing `/incubating` at runtime). Kept in one place because the names
 * are still being renamed upstream (`messaging.system` → `messaging.system.name`).
 */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_SYSTEM_NAME = 'messaging.system.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const CLOUDEVENTS_EVENT_ID = 'cloudevents.event_id';
export const CLOUDEVENTS_EVENT_TYPE = 'cloudevents.event_type';
// Our own, under the system's namespace as the conventions suggest.
export const NATS_STREAM_SEQUENCE = 'messaging.nats.stream.sequence';
export const NATS_DELIVERY_COUNT = 'messaging.nats.delivery_count';
export const NATS_DUPLICATE = 'messaging.nats.duplicate';
export const PIPELINE_RUN_ID = 'pipeline.run_id';
export const PIPELINE_OUTCOME = 'pipeline.outcome';

export const NATS = 'nats';
