// Values the recorder puts into a scenario and the library test searches the fixtures for. They are
// test values, never real secrets, and must never appear in events/*.ndjson or replay/*.json.

/** secret-rotation: the secret file's content before and after the rotation. */
export const ROTATED_SECRET_VALUES = ['s3cret-rotation-test-value-before', 's3cret-rotation-test-value-after'] as const;

/** What the library test searches for: a prefix common to both values above. */
export const ROTATED_SECRET_NEEDLE = 's3cret-rotation-test-value';
