"""English words that are never app names or namespaces (function words, chat words, kubectl words)."""

from __future__ import annotations

# Words that are never app names (function words, chat words, kubectl words, verbs).
# A word list reads best as text; SIM905 would have it as 400 quoted literals.
STOPWORDS = frozenset(
    """
    a an the this that these those it its it's itll i im me my mine we us our ours you your yours u ur
    he she they them their there here what whats which who whom whose when where why how hows
    thats theres heres whos wheres whatever whichever whoever deployed redeployed
    is are was were be been being am do does did doing done have has had having will would shall should
    can could may might must need needs needed want wants wanted let lets gonna wanna gotta
    and or but nor so yet if then else than also too very really just only even still again already
    of in on at to from by for with without within into onto over under about above below between behind
    through during before after up down out off away back around near via per across
    please pls plz plse kindly thanks thank thx ty sorry hey hi hello yo ok okay okey sure yes yeah yep
    yup no nope not never nobody anybody dont doesnt didnt cant cannot wont isnt arent wasnt werent
    hasnt havent
    now right asap quickly quick fast immediately soon today tonight currently current often frequently
    some any all every each both few many much more most less least other another such same
    one ones thing things stuff something anything everything nothing
    show tell give get got gets getting see look looking find check make makes made take put bring
    go going goes went come comes run runs ran running work works working keep keeps kept
    app apps application applications service services svc deployment deployments deploy pod pods
    server servers cluster clusters k8s kubernetes kube kubectl container containers instance instances
    namespace namespaces ns env environment version versions revision revisions release releases
    image images repo repository branch tag commit sha hash build builds ref
    new old latest last previous next first second current bad good broken better worse
    again once twice times time minute minutes min mins second seconds sec hour hours day days
    bot klepaas slack channel thread message msg
    lines line log logs row rows replica replicas copies copy count number
    status state health info details detail data report summary overview
    guys team folks everyone anyone someone somebody man dude bro lol lmao haha hmm hm um uh oh ah
    wtf omg ugh damn hell heck
    like well so just anyway actually basically literally maybe probably perhaps
    for let also whole entire total overall
    kind sort type mode way part
    gimme lemme give exist exists roll per
    pull fetch grab print dump display view open read watch follow stream need needs want try
    asap urgent urgently pls please thank help now again real really seems seem looks look
    any errors error issues issue problem problems
    as use using used do know think say call hit connect visit reach access
    sidecar cpu memory mem ram requests request traffic rps qps usage graph chart
    """.split()  # noqa: SIM905
)
