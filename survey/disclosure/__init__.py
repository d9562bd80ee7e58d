"""Statistical disclosure control: every table the product publishes is protected here.

Nothing in this package imports Flask, the ORM or the survey definitions: callers hand in
numbers, relations and the primary pattern, and get back a status per cell and an audit
report. docs/disclosure.md walks one small release through every stage with real numbers.

Entry points
    survey.disclosure.suppress.protect_grid    a release: organisations x (indicator, group)
                                               cells, with the tree, the groups and the
                                               nested characteristics as relations
    survey.disclosure.engine.protect / .audit  any small table of non-negative cells with
                                               additive relations (the response rates)
    survey.disclosure.counts.protect_counts    a table of counts with its totals row and
                                               column (the speak-up quarterly return)

The stages, as the field names them, and where they live
    primary suppression       the caller's rule (a group under 11; the optional count rule)
                              as a boolean pattern; cells empty by definition are FIXED
                              (survey.disclosure.status)
    secondary suppression     suppress.total_pass and row_pass (a relation never holds one
                              hidden cell alone), groups (one indicator x characteristic
                              table at a time: shifts of respondents between groups, found
                              for the whole table at once in shifts, else by max-flow on the
                              table's network in flows, with repairs adding suppressions
                              where no flow is wide enough), nesting.align and
                              respondents.agree / .labels (linked tables: characteristics
                              over one answer column, indicators over the same respondents)
    protection interval       what a hidden cell must keep (certify.requirements: at least
                              the protection level for a base under 11, never wider than
                              the release could give it whatever it hid)
    audit                     proofs that each hidden cell keeps its interval: an explicit
                              feasible change of the hidden numbers (a shift, a flow, a move
                              of one respondent between sibling practices: certify.m2_widths,
                              routes), else linear programming over the cell's neighbourhood
                              (lpaudit, lpcheck; exact for the generic engine)
    escalation                suppress.open_parents and complete_totals: where the audit
                              finds a cell too narrow, more cells are hidden and every
                              stage runs again; what is still unproven is left out of the
                              release (survey.analysis.release._withhold)
    cost function             what hiding a cell costs the reader: today the cell's base,
                              plus a large charge for organisation totals and higher levels
                              (survey.analysis.release builds it)

Vocabulary
    status      OK / PRIMARY / SECONDARY / FIXED (survey.disclosure.status); the published
                words are "ok", "primary", "secondary" (FIXED is shown as "primary")
    relations   total = sum(parts) (survey.disclosure.relations for the generic engine;
                survey.disclosure.grid for a release, whose relations are implicit in the
                tree and the columns)
    layers      in the certificates, a cell's base (x), count (y) and complement (z = x - y)
    M2          a move of one respondent between two sibling practices, in every table at once
    route       a chain of such moves through other groups and practices
"""
