/** The only registry of rules. Adding a rule: its file, one line here, its fixture (see CONTRIBUTING.md). */
import type { Rule } from '../engine/rule';
import { rule as SAI202 } from './SAI202-torch-load-without-weights-only';

export const RULES: readonly Rule[] = [SAI202];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
