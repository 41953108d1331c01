/** The only registry of rules. Adding a rule: its file, one line here, its fixture (see CONTRIBUTING.md). */
import type { Rule } from '../engine/rule';
import { rule as SAI101 } from './SAI101-hub-download-without-pinned-revision';
import { rule as SAI102 } from './SAI102-trust-remote-code';
import { rule as SAI103 } from './SAI103-torch-hub-load-unpinned';
import { rule as SAI201 } from './SAI201-pickle-deserialization';
import { rule as SAI202 } from './SAI202-torch-load-without-weights-only';
import { rule as SAI203 } from './SAI203-numpy-load-allow-pickle';
import { rule as SAI204 } from './SAI204-unsafe-yaml-load';
import { rule as SAI205 } from './SAI205-keras-unsafe-deserialization';
import { rule as SAI301 } from './SAI301-training-data-without-provenance';

export const RULES: readonly Rule[] = [SAI101, SAI102, SAI103, SAI201, SAI202, SAI203, SAI204, SAI205, SAI301];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
