"""WAL frames per message for the server's message schema, in batches like the group commit's.

    python3 scripts/wal-frames-model.py counter|derived BATCH

A model, not the server: Python's sqlite3 with the server's v1 tables (read from
SQLiteDatabase.swift), 1 KiB pages, 1,000 users in 500 friend pairs, messages between random
pairs, and a batch's shared writes done once per batch as MessageCommitBatch does. `counter` keeps
each user's update-log number in a column of their row (schema v1); `derived` reads it from the
log's last entry (v2). Prints the frames the WAL grows by per message and per commit
(README -> Performance).
"""
import sqlite3, os, random, sys, tempfile
variant = sys.argv[1]; B = int(sys.argv[2])
assert variant in ('counter', 'derived')
random.seed(1)
src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../Sources/ChatServices/Stores/SQLite/SQLiteDatabase.swift')).read()
schema = src[src.index('CREATE TABLE users('):src.index('"""', src.index('CREATE TABLE users('))]
path = os.path.join(tempfile.mkdtemp(), 'model.sqlite')
for s in ['', '-wal', '-shm']:
    if os.path.exists(path+s): os.remove(path+s)
db = sqlite3.connect(path, isolation_level=None)
db.execute('PRAGMA page_size=1024'); db.execute('PRAGMA journal_mode=WAL'); db.execute('PRAGMA wal_autocheckpoint=0')
db.executescript(schema)
N=1000
db.execute('BEGIN')
for i in range(1,N+1):
    db.execute('INSERT INTO users(id,username,email,password_hash,created_at_ms) VALUES (?,?,?,?,?)', (i, 'mabc123-%d'%i, 'mabc123-%d@bench.test'%i, '$2b$10$'+'x'*53, 1700000000000))
for i in range(1,N+1,2):
    for a,b in ((i,i+1),(i+1,i)):
        db.execute('INSERT INTO friendships(user_id,friend_id,since_ms) VALUES (?,?,?)',(a,b,1))
db.execute('COMMIT')
db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
seq = {}; upd = {i:0 for i in range(1,N+1)}; sent = {i:0 for i in range(1,N+1)}
def walsize(): return os.path.getsize(path+'-wal') if os.path.exists(path+'-wal') else 0
def batch(n):
    db.execute('BEGIN')
    conv = {}; users=set(); marks={}
    for _ in range(n):
        s = random.randint(1,N); r = s+1 if s%2==1 else s-1
        lo,hi=min(s,r),max(s,r)
        db.execute('SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id=? AND friend_id=?)',(s,r)).fetchone()
        q = seq.get((lo,hi),0)+1; seq[(lo,hi)]=q
        if variant=='derived':
            db.execute('SELECT max(update_id) FROM updates WHERE user_id=?',(s,)).fetchone()
        upd[s]+=1; upd[r]+=1; sent[s]+=1
        cur=db.execute('INSERT INTO messages(user_lo,user_hi,seq,sender_id,recipient_id,client_msg_id,text,sent_at_ms,sender_update_id,recipient_update_id) VALUES (?,?,?,?,?,?,?,?,?,?)',(lo,hi,q,s,r,'%d-%d'%(s,sent[s]),'b%019d;'%random.randint(0,10**18)+'x'*43,1700000000000,upd[s],upd[r]))
        mid=cur.lastrowid
        db.execute('INSERT INTO updates(user_id,update_id,message_id) VALUES (?,?,?)',(s,upd[s],mid))
        db.execute('INSERT INTO updates(user_id,update_id,message_id) VALUES (?,?,?)',(r,upd[r],mid))
        conv[(lo,hi)]=(q,mid); users.add(s); users.add(r); marks[(s,r)]=q
    for (lo,hi),(q,mid) in conv.items():
        db.execute('INSERT INTO conversations(user_lo,user_hi,last_seq,last_message_id) VALUES (?,?,?,?) ON CONFLICT(user_lo,user_hi) DO UPDATE SET last_seq=excluded.last_seq,last_message_id=excluded.last_message_id',(lo,hi,q,mid))
    if variant!='derived':
        for u in users: db.execute('UPDATE users SET last_update_id=? WHERE id=?',(upd[u],u))
    for (a,b),q in marks.items():
        db.execute('INSERT INTO read_marks(user_id,peer_id,read_seq) VALUES (?,?,?) ON CONFLICT(user_id,peer_id) DO UPDATE SET read_seq=max(read_seq,excluded.read_seq)',(a,b,q))
    db.execute('COMMIT')
# Some history first, so the indexes are deep: 200,000 messages.
for _ in range(200000//64): batch(64)
db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
w0=walsize(); M=0
for _ in range(300): batch(B); M+=B
frames=(walsize()-w0)/(1024+24)
print(variant, 'B=%d'%B, 'frames/msg=%.2f'%(frames/M), 'frames/commit=%.1f'%(frames/300))
