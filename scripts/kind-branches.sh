#!/usr/bin/env bash
# Lines that branch on a field kind's name (issue 10: "every place asks the kind object").
# Run from the project root; prints the lines and their count. Before the kinds refactor: 153.
K='text|textarea|signature|integer|number|money|percent|score|date|month|year|choice|multichoice|boolean|phone|email|idcard|section|table'
grep -rnE "kind[\"' )\]]* *(==|!=|in|not in) *=?[\(\[{]?[^=]*[\"'](${K})[\"']|kind[)]? *(in|not in) +[A-Z_]*KINDS|KINDS\[|[\"'](${K})[\"'] *(==|!=) *[a-z_.]*kind" \
  --include=*.py --include=*.js --include=*.j2 forms renderers server services cli store | tee /dev/stderr | wc -l
