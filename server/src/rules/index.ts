/** The only registry of rules. Adding a rule: its file, one line here, its fixture (see CONTRIBUTING.md). */
import type { Rule } from '../engine/rule';
import { rule as SAI101 } from './SAI101-hub-download-without-pinned-revision';
import { rule as SAI102 } from './SAI102-trust-remote-code';
import { rule as SAI103 } from './SAI103-torch-hub-load-unpinned';
import { rule as SAI104 } from './SAI104-download-without-integrity-check';
import { rule as SAI201 } from './SAI201-pickle-deserialization';
import { rule as SAI202 } from './SAI202-torch-load-without-weights-only';
import { rule as SAI203 } from './SAI203-numpy-load-allow-pickle';
import { rule as SAI204 } from './SAI204-unsafe-yaml-load';
import { rule as SAI205 } from './SAI205-keras-unsafe-deserialization';
import { rule as SAI206 } from './SAI206-safe-serialization-disabled';
import { rule as SAI210 } from './SAI210-unsafe-model-artifact';
import { rule as SAI301 } from './SAI301-training-data-without-provenance';
import { rule as SAI302 } from './SAI302-checkpoint-without-hash';
import { rule as SAI401 } from './SAI401-public-demo-link';
import { rule as SAI402 } from './SAI402-server-exposed-or-debug';
import { rule as SAI403 } from './SAI403-inference-endpoint-without-auth';
import { rule as SAI404 } from './SAI404-inference-inputs-not-logged';
import { rule as SAI501 } from './SAI501-llm-output-to-code-execution';
import { rule as SAI502 } from './SAI502-agent-dangerous-tools';
import { rule as SAI503 } from './SAI503-untrusted-input-in-system-prompt';
import { rule as SAI601 } from './SAI601-hard-coded-ai-api-key';
import { rule as SAI701 } from './SAI701-ml-dependency-not-pinned';
import { rule as SAI702 } from './SAI702-insecure-package-index';

export const RULES: readonly Rule[] = [SAI101, SAI102, SAI103, SAI104, SAI201, SAI202, SAI203, SAI204, SAI205, SAI206, SAI210, SAI301, SAI302, SAI401, SAI402, SAI403, SAI404, SAI501, SAI502, SAI503, SAI601, SAI701, SAI702];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
