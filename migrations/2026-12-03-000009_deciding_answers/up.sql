-- The sealed answers to the questions that decide, without marks, whether a bid is
-- excluded (pass/fail) and what it costs (price, price schedule): copied from `sealed`
-- in the statement that seals the bid, so that the council's lists and the results read a
-- few small values per bid instead of every sealed document (docs/performance.md).
ALTER TABLE submissions ADD COLUMN deciding_answers jsonb;

-- Bids sealed before this column: the same answers, chosen by the kinds in the
-- questionnaire version each one answered.
UPDATE submissions s
   SET deciding_answers = (
       SELECT COALESCE(jsonb_object_agg(a.key, a.value), '{}'::jsonb)
         FROM jsonb_each(s.sealed -> 'answers') a
        WHERE a.key IN (
              SELECT q ->> 'id'
                FROM questionnaire_versions v,
                     jsonb_array_elements(v.document -> 'sections') sec,
                     jsonb_array_elements(sec -> 'questions') q
               WHERE v.id = s.questionnaire_id
                 AND q ->> 'kind' IN ('pass_fail', 'price', 'price_schedule')))
 WHERE s.sealed IS NOT NULL;
