"""eic: keep AWS Lambda asynchronous-invocation configs in git.

The pipeline, in the order data flows through it:

1. load      (``loader``, ``yamlsafe``): find config files, parse YAML with
             line marks, refuse duplicate keys and hostile documents.
2. validate  (``loader``, ``schemas/``): JSON Schema plus the rules a schema
             cannot say (integers, ARNs, qualifiers, one identity per config).
3. normalise (``model``): desired and live configs become ``Settings`` in one
             normal form, so equal behaviour compares equal.
4. read live (``live``): the only stage that reads AWS. One paginated
             ListFunctionEventInvokeConfigs per function involved; ListFunctions
             only to expand scope patterns.
5. diff/plan (``planner``): pairs desired with live, picks the API call for
             each change (Put, Update or Delete) and returns a ``Plan`` value.
6. execute   (``executor``): the only stage that writes AWS; makes exactly
             the plan's calls.

``plan`` and ``apply`` build the same ``Plan``; one renders it, the other
executes it. ``sandbox`` is the local Lambda endpoint used by tests and demos.
"""
