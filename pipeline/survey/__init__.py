"""The field-survey loop: what to survey first (:mod:`.priority`), the form
surveyors fill in on KoboToolbox or ODK (:mod:`.form`), the visiting order
along the roads (:mod:`.route`), and the pack that wires them to their
writers (:mod:`.pack`, the ``survey-form`` command). The answers come back
through the survey source (:mod:`pipeline.extract.survey`); what they change
is compared run to run (:mod:`pipeline.common.changes`)."""
