"""Synthetic respondents and organisations for timing checks (not a test module)."""
import numpy as np, pandas as pd
from survey.analysis import load_indicators

def make(n_resp=3000, n_prac=30, prac_per_pcn=5, pcn_per_place=2, place_per_ics=3, seed=0):
    rng = np.random.default_rng(seed)
    prac = rng.integers(0, n_prac, n_resp)
    df = pd.DataFrame({"org_code": np.array([f"P{i:05d}" for i in range(n_prac)], dtype=object)[prac]})
    def pick(codes, p):
        p = np.asarray(p, float); p /= p.sum()
        return np.array(codes, dtype=object)[rng.choice(len(codes), n_resp, p=p)]
    df["sex"] = pick(["1","2","3","4","5",None], [60,30,1,0.5,3,5])
    df["gender_identity"] = pick(["1","2","3",None], [90,1,4,5])
    df["age_band"] = pick(["1","2","3","4","5","6","7",None], [1,15,25,25,25,3,3,3])
    df["ethnicity"] = pick([f"{i:02d}" for i in range(1,20)]+[None], [60,2,0.2,5]+[0.7]*4+[5,3,1,1,2,4,1,1,0.5,1,3,3])
    df["sexual_orientation"] = pick(["1","2","3","4","5",None], [85,2,2,0.5,5,5])
    df["religion"] = pick([str(i) for i in range(1,10)]+[None], [35,40,0.5,2,0.5,6,1,1,6,8])
    df["disability"] = pick(["1","2","3",None], [20,70,5,5])
    df["reasonable_adjustments"] = np.where(df["disability"]=="1", pick(["1","2","3","4"],[50,20,25,5]), pick(["3","4",None],[70,10,20]))
    df["staff_group"] = pick([str(i) for i in range(1,10)]+[None], [15,12,8,3,8,5,40,5,2,2])
    qs = {}
    for q in ["q14a","q14b","q14c","q17a","q17b","q4b"]:
        qs[q] = pick([1,2,3,4,5,np.nan],[70,15,5,3,2,5])
    qs["q14d"] = pick([1,2,3,4,9,np.nan],[20,10,20,10,30,10])
    qs["q15"] = pick([1,2,9,np.nan],[55,25,15,5])
    for q in ["q16a","q16b","q11d"]:
        qs[q] = pick([1,2,np.nan],[15,80,5])
    qs["q11e"] = np.where(qs["q11d"]==1, pick([1,2,np.nan],[30,65,5]), np.nan)
    for q,v in qs.items(): df[q] = v
    inds = load_indicators()
    for i, ind in inds.items():
        df[f"{i}__base"] = ind.base.evaluate(df).astype(np.int64)
        df[f"{i}__num"] = ind.numerator.evaluate(df).astype(np.int64)
    demo = ["sex","gender_identity","age_band","ethnicity","sexual_orientation","religion","disability","reasonable_adjustments","staff_group"]
    df["n"] = 1
    agg = [c for c in df.columns if c.endswith("__base") or c.endswith("__num")] + ["n"]
    pc = df.fillna({c: "__none__" for c in demo}).groupby(["org_code"]+demo, observed=True)[agg].sum().reset_index()
    for c in demo: pc[c] = pc[c].replace("__none__", None)
    # orgs
    rows = []
    n_pcn = (n_prac + prac_per_pcn - 1)//prac_per_pcn
    n_place = (n_pcn + pcn_per_place - 1)//pcn_per_place
    n_ics = (n_place + place_per_ics - 1)//place_per_ics
    for i in range(n_ics): rows.append((f"I{i:03d}", f"ICS {i}", "ics", None))
    for i in range(n_place): rows.append((f"L{i:04d}", f"Place {i}", "place", f"I{i//place_per_ics:03d}"))
    for i in range(n_pcn): rows.append((f"N{i:05d}", f"PCN {i}", "pcn", f"L{i//pcn_per_place:04d}"))
    for i in range(n_prac): rows.append((f"P{i:05d}", f"Practice {i}", "practice", f"N{i//prac_per_pcn:05d}"))
    orgs = pd.DataFrame(rows, columns=["code","name","level","parent_code"])
    return df, pc, orgs
