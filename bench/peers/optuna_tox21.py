#!/usr/bin/env python3
"""The Optuna peer of shadergrad's adaptive Tox21 search: the same task, split, features, weights, training and
search space, searched by Optuna's TPESampler with a HyperbandPruner (epochs as the resource) under a wall-clock
budget, so `shadergrad tox21 search` with TPE + Hyperband can be compared with what Optuna finds in the same time.

Task: one Tox21 assay (default NR-AR), DeepChem's index split of the file's rows in order (first ⌊0.8 n⌋ train, up to
⌊0.9 n⌋ valid, the rest test: 6264/783/784), ECFP4 1024-bit features read from the reference file
`tox21_ecfp4_1024.rdkit.txt.gz` beside the data (RDKit 2022.09; shadergrad's RDKit MinimalLib reproduces it bit for
bit), balancing weights as src/data/weights.ts's default `deepchem2017` (fitted on all labelled rows: negatives 1,
positives #neg/#pos; a missing label weighs 0). Training as shadergrad's `--mode modern`: ReLU layers with dropout,
He-normal weights and zero biases, the batch mean of w · sigmoid cross-entropy, Adam, batches reshuffled every epoch.
Objective: validation weighted accuracy (sklearn's accuracy_score with sample_weight = the balancing weights,
prediction = logit > 0), reported every epoch (step = epoch, 1-based) for the pruner. One torch thread.

Prints one JSON line: {peer, trials, complete, pruned, failed, best: {params, valid-wacc, valid-auc, test-wacc,
test-auc}, seconds, ...}. Without optuna or torch it prints {"peer": "optuna", "not measured": "<why>"} and exits 0.

  /usr/bin/python3 bench/peers/optuna_tox21.py --data ../shared/data/tox21.csv.gz --timeout 600 \
      --space 'lr=log:1e-4:1e-2,hidden=30|50|100|200,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45'
"""
import argparse
import csv
import gzip
import io
import json
import math
import os
import sys
import time

DEFAULT_SPACE = 'lr=log:1e-4:1e-2,hidden=30|50|100|200,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45'
# Short names of the space text → the hyperparameters trained here (shadergrad's long names are accepted too).
ALIASES = {'lr': 'learningRate', 'hidden': 'nHidden', 'layers': 'nLayers', 'keep': 'keepProb', 'batch': 'batchSize', 'epochs': 'nEpochs'}
DEFAULTS = {'learningRate': 1e-3, 'nHidden': 50, 'nLayers': 1, 'keepProb': 0.5, 'batchSize': 100, 'nEpochs': 45}


def not_measured(why):
    print(json.dumps({'peer': 'optuna', 'not measured': why}))
    sys.exit(0)


def parse_number(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return int(v) if v.is_integer() and all(c not in s.lower() for c in '.e') else v


def parse_space(text):
    """src/hpo/space-text.ts's syntax: name=a|b|c, name=low:high, name=log:low:high, name=int:low:high, name=v."""
    space = {}
    for i, raw in enumerate(text.split(','), 1):
        term = raw.strip()
        where = f'--space: term {i} "{term}"'
        if '=' not in term:
            raise SystemExit(f'{where} needs name=value')
        name, spec = (x.strip() for x in term.split('=', 1))
        key = ALIASES.get(name, name)
        if key not in DEFAULTS:
            raise SystemExit(f'{where}: unknown hyperparameter {name} (known: {", ".join(list(ALIASES) + list(DEFAULTS))})')
        if key in space:
            raise SystemExit(f'{where}: {name} is given twice')
        parts = spec.split(':')
        if parts[0] in ('log', 'int'):
            nums = [parse_number(p) for p in parts[1:]]
            if len(parts) != 3 or None in nums:
                raise SystemExit(f'{where} needs name={parts[0]}:low:high with numbers')
            space[key] = ('log' if parts[0] == 'log' else 'int', nums[0], nums[1])
        elif len(parts) == 2:
            nums = [parse_number(p) for p in parts]
            if None in nums:
                raise SystemExit(f'{where} needs name=low:high with numbers')
            space[key] = ('uniform', nums[0], nums[1])
        elif len(parts) == 1:
            values = [parse_number(v) if parse_number(v) is not None else {'true': True, 'false': False}.get(v, v) for v in spec.split('|')]
            space[key] = ('choice', values)
        else:
            raise SystemExit(f'{where} needs name=low:high with numbers')
    return space


def suggest(trial, space):
    p = dict(DEFAULTS)
    for key, s in space.items():
        if s[0] == 'choice':
            p[key] = s[1][0] if len(s[1]) == 1 else trial.suggest_categorical(key, s[1])
        elif s[0] == 'uniform':
            p[key] = trial.suggest_float(key, s[1], s[2])
        elif s[0] == 'log':
            p[key] = trial.suggest_float(key, s[1], s[2], log=True)
        else:
            p[key] = trial.suggest_int(key, int(s[1]), int(s[2]))
    return p


def max_epochs(space):
    s = space.get('nEpochs')
    if s is None:
        return DEFAULTS['nEpochs']
    return int(max(s[1]) if s[0] == 'choice' else s[2])


def load(data_path, features_path, task, np):
    with gzip.open(data_path, 'rt', newline='') if data_path.endswith('.gz') else open(data_path, newline='') as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if task not in header:
        raise SystemExit(f'{data_path}: no column {task} (columns: {", ".join(header)})')
    col = header.index(task)
    n = len(rows)
    X = np.zeros((n, 1024), dtype=np.float32)
    seen = 0
    with gzip.open(features_path, 'rt') as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith('#'):
                continue
            i = int(parts[0])
            if i >= n:
                raise SystemExit(f'{features_path}: row {i} but {data_path} has {n} rows')
            X[i, [int(b) for b in parts[1:]]] = 1.0
            seen += 1
    if seen != n:
        raise SystemExit(f'{features_path}: {seen} rows of features for {n} rows of {data_path}')
    y = np.array([1.0 if r[col].strip() == '1' else 0.0 for r in rows], dtype=np.float32)
    labelled = np.array([r[col].strip() != '' for r in rows])
    pos = float(((y == 1) & labelled).sum())
    neg = float(((y == 0) & labelled).sum())
    w = np.where(labelled, np.where(y == 1, neg / pos if pos > 0 else 1.0, 1.0), 0.0).astype(np.float32)
    train_cut = math.floor(0.8 * n)
    valid_cut = math.floor((0.8 + 0.1) * n)  # DeepChem's float arithmetic, as src/data/splits.ts
    cut = lambda a, b: (X[a:b], y[a:b], w[a:b])
    return cut(0, train_cut), cut(train_cut, valid_cut), cut(valid_cut, n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    here = os.path.dirname(os.path.abspath(__file__))
    default_data = os.environ.get('SHADERGRAD_TOX21') or os.path.normpath(os.path.join(here, '..', '..', '..', 'shared', 'data', 'tox21.csv.gz'))
    ap.add_argument('--data', default=default_data)
    ap.add_argument('--features', help='reference ECFP4 bits (default: tox21_ecfp4_1024.rdkit.txt.gz beside --data)')
    ap.add_argument('--task', default='NR-AR')
    ap.add_argument('--timeout', type=float, default=600.0, help='wall-clock budget of the search in seconds')
    ap.add_argument('--trials', type=int, default=None, help='stop after this many trials too')
    ap.add_argument('--space', default=DEFAULT_SPACE)
    ap.add_argument('--seed', type=int, default=0, help='seed of the sampler and of every trial\'s training')
    ap.add_argument('--min-epochs', type=int, default=3, help='Hyperband min_resource')
    ap.add_argument('--reduction-factor', type=int, default=3)
    ap.add_argument('--startup', type=int, default=10, help='TPE n_startup_trials')
    args = ap.parse_args()
    space = parse_space(args.space)

    try:
        import numpy as np
        import optuna
        import torch
    except ImportError as e:
        not_measured(f'{e} (apt-get install python3-optuna python3-torch)')
    features = args.features or os.path.join(os.path.dirname(args.data), 'tox21_ecfp4_1024.rdkit.txt.gz')
    for path in (args.data, features):
        if not os.path.exists(path):
            not_measured(f'{path} does not exist')
    try:
        from sklearn.metrics import accuracy_score, roc_auc_score
    except ImportError:
        accuracy_score = lambda y, p, sample_weight: float((sample_weight * (y == p)).sum() / sample_weight.sum())
        roc_auc_score = None

    torch.set_num_threads(1)
    t_load = time.perf_counter()
    (Xtr, ytr, wtr), (Xva, yva, wva), (Xte, yte, wte) = load(args.data, features, args.task, np)
    load_seconds = time.perf_counter() - t_load
    T = lambda a: torch.from_numpy(a)
    Xtr_t, ytr_t, wtr_t, Xva_t, Xte_t = T(Xtr), T(ytr), T(wtr), T(Xva), T(Xte)
    R = max_epochs(space)

    def scores(model, X, y, w):
        model.eval()
        with torch.no_grad():
            logit = model(X).squeeze(1).numpy()
        wacc = float(accuracy_score(y, (logit > 0).astype(np.float32), sample_weight=w))
        m = w > 0
        auc = float(roc_auc_score(y[m], logit[m])) if roc_auc_score and len(set(y[m])) == 2 else float('nan')
        return wacc, auc

    def objective(trial):
        p = suggest(trial, space)
        torch.manual_seed(args.seed)
        layers, width = [], 1024
        for _ in range(int(p['nLayers'])):
            layers += [torch.nn.Linear(width, int(p['nHidden'])), torch.nn.ReLU(), torch.nn.Dropout(1 - float(p['keepProb']))]
            width = int(p['nHidden'])
        layers.append(torch.nn.Linear(width, 1))
        model = torch.nn.Sequential(*layers)
        for m in model:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity='relu')  # He: N(0, 2 / fan_in)
                torch.nn.init.zeros_(m.bias)
        opt = torch.optim.Adam(model.parameters(), lr=float(p['learningRate']))
        gen = torch.Generator().manual_seed(args.seed)
        bs = int(p['batchSize'])
        n = Xtr_t.shape[0]
        for epoch in range(1, int(p['nEpochs']) + 1):
            model.train()
            order = torch.randperm(n, generator=gen)
            for s in range(0, n, bs):
                idx = order[s:s + bs]
                opt.zero_grad()
                logit = model(Xtr_t[idx]).squeeze(1)
                loss = (wtr_t[idx] * torch.nn.functional.binary_cross_entropy_with_logits(logit, ytr_t[idx], reduction='none')).mean()
                loss.backward()
                opt.step()
            if not math.isfinite(loss.item()):
                raise ValueError(f'loss became {loss.item()} at epoch {epoch}')
            wacc, auc = scores(model, Xva_t, yva, wva)
            trial.report(wacc, epoch)
            trial.set_user_attr('valid-auc', auc)
            if trial.should_prune():
                raise optuna.TrialPruned()
        test_wacc, test_auc = scores(model, Xte_t, yte, wte)
        trial.set_user_attr('test-wacc', test_wacc)  # recorded, never seen by the sampler (it reads values only)
        trial.set_user_attr('test-auc', test_auc)
        return wacc

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction='maximize',
        sampler=optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.startup),
        pruner=optuna.pruners.HyperbandPruner(min_resource=args.min_epochs, max_resource=R, reduction_factor=args.reduction_factor),
    )
    t0 = time.perf_counter()
    study.optimize(objective, timeout=args.timeout, n_trials=args.trials, catch=(ValueError,))
    seconds = time.perf_counter() - t0
    states = [t.state.name for t in study.trials]
    complete = [t for t in study.trials if t.state.name == 'COMPLETE']
    best = None
    if complete:
        b = study.best_trial
        best = {
            'trial': b.number,
            'params': b.params,
            'valid-wacc': b.value,
            'valid-auc': b.user_attrs.get('valid-auc'),
            'test-wacc': b.user_attrs.get('test-wacc'),
            'test-auc': b.user_attrs.get('test-auc'),
        }
    print(json.dumps({
        'peer': 'optuna',
        'optuna': optuna.__version__,
        'torch': torch.__version__,
        'task': args.task,
        'split': [len(ytr), len(yva), len(yte)],
        'space': args.space,
        'sampler': f'TPESampler(seed={args.seed}, n_startup_trials={args.startup})',
        'pruner': f'HyperbandPruner(min_resource={args.min_epochs}, max_resource={R}, reduction_factor={args.reduction_factor})',
        'timeout': args.timeout,
        'trials': len(study.trials),
        'complete': len(complete),
        'pruned': states.count('PRUNED'),
        'failed': states.count('FAIL'),
        'epochs': sum(len(t.intermediate_values) for t in study.trials),
        'best': best,
        'seconds': round(seconds, 2),
        'loadSeconds': round(load_seconds, 2),
        'threads': torch.get_num_threads(),
    }))


if __name__ == '__main__':
    main()
