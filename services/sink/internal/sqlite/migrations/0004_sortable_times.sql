-- Times as fixed-width UTC text (2026-11-27T10:00:00.123000Z), so that
-- ORDER BY ingested_at is chronological; earlier rows had a variable-width
-- fraction.
UPDATE articles SET
    ingested_at = strftime('%Y-%m-%dT%H:%M:%f', ingested_at) || '000Z',
    enriched_at = strftime('%Y-%m-%dT%H:%M:%f', enriched_at) || '000Z',
    stored_at   = strftime('%Y-%m-%dT%H:%M:%f', stored_at) || '000Z'
WHERE ingested_at NOT LIKE '____-__-__T__:__:__.______Z';
