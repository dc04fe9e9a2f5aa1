"""The intent lexicon: which words point at which command, in Korean and English.

A *signal* is a command name (``restart``, ``scale`` …) or one of the meta signals below. Each cue
has a weight: 4 = decisive phrase ("배포 이력", "how much"), 3 = the usual verb or noun for the
command ("재시작", "restart"), 2 = a strong hint ("어때", "crashing"), 1 = a weak hint ("확인").
The parser adds the weights per signal; the highest command wins when it stands clear of the next.

Korean cues are *stems* matched anywhere, with optional spaces between syllables, so every
conjugation and spacing matches: "재시작" covers 재시작해줘, 재시작 해 주세요, 재시작좀, 재 시작.
English cues are whole words/phrases (the normalized text is space-padded); single English words
of five letters or more also match with one typo (see ``FUZZY_WORDS``).

Meta signals:
  list, describe       generic "show me all …" / "details of …"
  stop                 turn off ("꺼줘", "stop") — there is no stop command; answered with a question
  destroy              delete/remove/kill — no such command exists; never planned
  injection            prompt-injection markers ("ignore previous instructions") — never planned
  smalltalk            greetings, thanks, small talk — answered with help
  pronoun              "그거", "it", "that one" — the previous app in the thread
  also, again          "staging도", "same in prod", "again" — repeat the previous command
  swap                 "what about api?", "api는?" — the previous command for another app
  relative             "하나 더", "two more", "double" — relative scaling, which needs a number
  question             "how", "어떻게", "왜"
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """All cues of one signal in one script, compiled as one pattern of weight tiers.

    Tiers are tried strongest first, so at any position the strongest cue wins; the matched
    tier's group name gives its weight. One pattern per signal and script keeps a parse to a few
    dozen regex scans instead of hundreds.
    """

    signal: str
    pattern: re.Pattern[str]
    weights: dict[str, float]

    def weight(self, match: re.Match[str]) -> float:
        return self.weights[match.lastgroup or ""]


def _ko(stem: str) -> str:
    """A Korean stem with optional spaces between its syllables."""
    return r"\s?".join(re.escape(ch) for ch in stem.replace(" ", ""))


def _en(phrase: str) -> str:
    """An English phrase (a regex) as whole words in the space-padded text."""
    return rf"(?<= )(?:{phrase})(?= )"


_KO: dict[str, list[tuple[float, tuple[str, ...]]]] = {
    "restart": [
        (3, ("재시작", "제시작", "재실행", "재기동", "재부팅", "리부팅", "리부트", "리스타트", "다시시작",
             "다시켜", "다시키", "다시띄워", "다시띄우", "다시올려", "껐다켜", "껐다키", "껏다켜", "껏다키",
             "껐다가켜", "끄고켜", "다시실행", "재생성", "롤링리스타트", "끄고다시켜", "재가동", "재구동",
             "재시동", "롤아웃재시작", "리로드")),
        (2.5, ("재배포",)),
        (2, ("다시돌려", "리셋", "새로띄워", "새로고침")),
    ],
    "scale": [
        (3, ("스케일", "늘려", "늘리", "늘여", "줄여", "줄이", "확장", "축소", "증설", "감설", "레플리카",
             "리플리카", "복제본", "스케일링", "스케일아웃", "스케일업", "스케일다운", "스케일인")),
        (2, ("인스턴스", "개수", "대수")),
        (1.5, ("조정", "맞춰", "맞춰줘", "맞추", "변경", "유지")),
    ],
    "rollback": [
        (3.5, ("롤백", "롤벡", "롤빽", "되돌려", "되돌리", "되돌아", "돌려놔", "돌려놓", "원복", "원상복구",
               "이전버전", "전버전", "예전버전", "옛날버전", "옛버전", "직전버전", "지난버전", "이전리비전",
               "이전배포", "직전배포", "이전이미지", "언두", "리버트", "다운그레이드")),
        (4, ("배포취소", "배포한거취소", "배포한것취소", "배포를취소", "배포된거취소", "배포했던거취소")),
        (2.5, ("이전으로", "전으로돌", "복원", "복구", "원래대로", "예전거", "예전걸", "예전으로")),
    ],
    "rollout_history": [
        (4, ("히스토리", "이력", "배포기록", "배포내역", "롤아웃기록", "롤아웃히스토리", "리비전목록",
             "리비전들", "버전목록", "버전들", "버전리스트", "리비전리스트", "변경기록", "변경내역",
             "배포한기록",
             "배포된버전", "배포했던", "언제배포")),
        (3, ("리비전", "리비젼")),
        (2.5, ("기록", "내역")),
    ],
    "deploy": [
        (3.5, ("이미지바꿔", "이미지변경", "이미지교체", "이미지업데이트", "이미지를바꿔", "이미지를변경",
               "이미지를교체", "이미지올려", "이미지를올려", "새버전배포", "디플로이해")),
        (2.5, ("배포해", "배포하", "배포좀", "배포부탁", "배포요청", "배포진행", "배포시작", "배포ㄱ",
               "릴리즈", "릴리스",
               "디플로이")),
        (2, ("배포", "출시", "업그레이드")),
        (1.5, ("업데이트", "반영", "올려줘", "띄워줘", "버전업")),
    ],
    "logs": [
        (3.5, ("로그(?!인)", "로깅", "에러로그", "오류로그")),
        (2.5, ("로\\s그(?= )",)),  # "로 그 보여줘": the word typed apart
        (3, ("에러보여", "에러확인", "에러뭐", "에러메시지", "에러메세지", "오류보여", "오류확인",
             "오류메시지",
             "에러내용", "오류내용", "스택트레이스", "찍힌거", "찍힌")),
        (1.5, ("출력", "콘솔")),
    ],
    "status": [
        # "재시작돼" / "자꾸 재시작" describe a symptom (restarting by itself), not a request
        (4, ("재시작돼", "재시작되", "재시작됨", "재시작반복", "계속재시작", "자꾸재시작", "재시작하네")),
        (3, ("상태", "살아있", "헬스", "죽었", "뻗었", "먹통", "크래시", "크래쉬", "크래싱", "에러나",
             "에러났", "에러가나", "에러가났", "오류나", "오류가나", "장애")),
        (2.5, ("어때", "어떄", "어떤가", "어떻게돼", "어떻게되", "잘돌아", "살았", "죽어", "뻗어", "터졌",
               "터져",
               "왜죽", "자꾸죽", "다운됐", "다운되", "떠있", "돌고있", "돌아가고", "뜨긴", "떴")),
        (2, ("괜찮", "정상", "멀쩡", "문제있", "문제가있", "문제없", "안돼", "안되", "점검", "느려", "응답없",
             "무슨일", "왜이래", "왜그래", "이상해", "이상하", "이상한데", "안떠", "살아는", "살아 는")),
        (1.5, ("체크", "돌아가", "봐줘", "봐봐", "살펴", "들여다")),
        (1, ("확인",)),
    ],
    "endpoint": [
        (3.5, ("엔드포인트", "접속주소", "접속url", "접속링크")),
        (3, ("주소", "링크", "접속", "접근", "도메인", "아이피", "외부ip", "들어가")),
        (2, ("호스트", "포트", "노출", "어디로")),
    ],
    "overview": [
        (4.5, ("전체현황", "다잘", "다들잘", "전부잘", "모두잘", "문제있는거", "이상한거", "죽은거",
               "문제있는앱", "에러난거", "전체상태",
               "전체상황", "클러스터상태", "클러스터현황", "전체점검", "전부괜찮",
               "다괜찮", "전체적으로", "한눈에", "전반적", "오버뷰")),
        (3.5, ("현황", "대시보드", "요약", "전체요약")),
        (2, ("상황", "클러스터")),
    ],
    "metrics": [
        (4, ("메트릭", "지표", "사용량", "cpu사용", "메모리사용", "리소스사용", "그래프", "차트")),
        (3, ("추이", "추세", "트렌드")),
    ],
    "cost_analysis": [
        (4, ("비용", "요금", "과금", "코스트", "청구", "지출", "예산", "돈얼마", "얼마나나왔", "얼마나들",
             "얼마들", "비싸")),
        (2.5, ("얼마", "돈")),
    ],
    "help": [
        (4.5, ("도움말", "사용법", "명령어", "뭐할수있", "뭘할수있", "뭐해줄수있", "뭘해줄수있", "할수있는거",
               "할수있는게", "할줄아는", "헬프", "어떻게써", "어떻게사용", "쓰는법", "사용방법", "매뉴얼",
               "설명서", "뭐할줄알", "뭐가능", "가능한명령", "명령목록", "커맨드목록", "물어볼수있",
               "시킬수있")),
        (3, ("도움", "기능", "가이드")),
        (1.5, ("도와줘", "도와주")),
    ],
    "list": [
        (2.5, ("목록", "리스트", "뭐뭐", "뭐있", "뭐가있", "어떤게있", "어떤거있", "뭐돌고", "뭐떠")),
        (1.5, ("전부", "모두", "다보여", "다알려", "조회", "전체")),
        (0.5, ("보여", "알려")),
    ],
    "describe": [
        (2.5, ("정보", "상세", "자세히", "스펙", "디테일", "명세", "설정값", "리밋", "리미트", "전략")),
    ],
    "stop": [
        (4, ("꺼줘", "꺼주", "꺼라", "꺼버려", "꺼놔", "끄자", "끄기", "꺼 줘", "중지", "정지", "멈춰",
             "멈추",
             "셧다운", "내려줘", "내려주", "중단",
             # a bare 꺼 ends the sentence ("api 꺼"); before more words it is "'s" ("api 꺼 로그")
             "(?<= )꺼(?= (?:요 |라 )?$)")),
    ],
    "destroy": [
        (5, ("삭제", "지워", "지우", "제거", "없애", "날려", "죽여", "폭파", "드랍", "드롭", "초기화", "포맷",
             "밀어버", "밀어줘")),
    ],
    "injection": [
        (6, ("지시무시", "지시를무시", "명령을무시", "지시사항을무시", "이전지시", "프롬프트", "너는이제",
             "관리자권한", "루트권한", "시스템메시지", "규칙을무시", "무시하고")),
    ],
    "smalltalk": [
        (2, ("안녕", "고마워", "고맙", "감사", "땡큐", "수고", "반가", "잘자", "좋은아침", "점심", "저녁",
             "날씨",
             "뭐해", "누구야", "누구세요", "사랑해", "심심", "배고", "퇴근", "농담", "대박", "굿굿", "좋아요",
             "덕분에", "하이", "ㅎㅇ", "반갑", "출근", "커피", "주말", "생일", "축하")),
    ],
    "pronoun": [
        (1, ("그거", "그것", "걔", "얘", "쟤", "이거", "저거", "그앱", "같은앱", "방금그", "아까그",
             "그서비스")),
    ],
    "also": [
        (1, ("에서도", "똑같이", "마찬가지", "같은걸", "동일하게", "똑같은거", "같은거")),
    ],
    "again": [
        (1, ("한번더", "한 번 더", "또해", "다시해", "다시한번")),
    ],
    "relative": [
        (1, ("더늘", "개더", "대더", "하나더", "두배", "세배", "절반", "반으로", "배로", "만큼더", "씩")),
    ],
    "swap": [
        # "api는?", "web은요?" after a plan: the same question about another app
        (1, ("(?<= )(?:은|는)(?:요)?(?=\\s*$)",)),
    ],
    "question": [(0.5, ("어떻게", "왜", "뭐야", "어디"))],
}

_EN: dict[str, list[tuple[float, tuple[str, ...]]]] = {
    "restart": [
        (3, (r"restart(?:s|ed|ing)?", r"re-?start", r"rollout restart", r"bounce[sd]?", r"reboot(?:ed|ing)?",
             r"recycle", r"respawn", r"power[ -]?cycle", r"turn (?:it )?off and (?:back )?on",
             r"restrat", r"rstart", r"kick(?: it)?")),
        (2.5, (r"redeploy", r"re-deploy", r"reload", r"recreate", r"roll the pods", r"rolling restart")),
        (2, (r"cycle", r"refresh", r"reset")),
    ],
    "scale": [
        (3, (r"scal(?:e|ed|es|ing)", r"replicas?", r"replica count", r"scale (?:up|down|out|in)",
             r"horizontal(?:ly)?", r"autoscale", r"sacle", r"scael")),
        (2, (r"instances?", r"bump(?: up)?", r"increase", r"decrease", r"reduce", r"shrink", r"grow",
             r"upscale", r"downscale", r"drop(?= \S+ to )", r"double", r"triple", r"halve",
             r"spin (?:up|down)")),
        (1, (r"set", r"pods? count", r"how many")),
    ],
    "rollback": [
        (3.5, (r"roll ?back", r"rolled back", r"rolling back", r"rollbak", r"revert(?:ed|ing)?", r"undo",
               r"go back", r"downgrade", r"previous (?:version|release|revision|build|image|deploy(?:ment)?)",
               r"last (?:good|known good|working|stable) (?:version|release|build|revision|one)?",
               r"(?:the )?(?:version|release|build) before", r"rollout undo", r"roll it back",
               r"roll(?= \S+ back)")),
        (2, (r"restore", r"back to")),
    ],
    "rollout_history": [
        (4, (r"history", r"rollout history", r"revisions", r"release history", r"deploy(?:ment)? history",
             r"past (?:deploys|deployments|releases|versions|revisions|rollouts)", r"changelog",
             r"previous (?:versions|releases|deploys|deployments)", r"have we (?:shipped|deployed|released)",
             r"what (?:versions|revisions|releases)", r"list (?:of )?(?:versions|revisions|releases)",
             r"versions")),
        (2.5, (r"revision",)),
        (3, (r"when was", r"last deployed", r"deployed when", r"when did we (?:deploy|ship|release)")),
        (2, (r"log of (?:deploys|deployments)",)),
    ],
    "deploy": [
        (3.5, (r"set image", r"update (?:the )?image", r"change (?:the )?image", r"swap (?:the )?image",
               r"new image", r"image to")),
        (3, (r"(?<!get )(?<!describe )deploy(?:s|ing)?", r"ship(?:s|ped|ping)?", r"dpeloy", r"deplyo",
             r"depoly")),
        (2, (r"release", r"roll out", r"launch", r"upgrade", r"push", r"rollout")),
        (1.5, (r"update",)),
    ],
    "logs": [
        (3.5, (r"logs?", r"logging", r"tail", r"stdout", r"stderr", r"stack ?trace", r"traceback", r"lgos")),
        (2, (r"output", r"printing", r"printed", r"errors", r"error messages?")),
    ],
    "status": [
        (3, (r"status", r"statsu", r"stauts", r"health", r"healthy",
             r"crash(?:ing|ed|es|loop(?:ing)?|looping)?",
             r"crashloopbackoff", r"ping", r"[45]\d\ds?", r"5xx", r"timing out", r"timeouts?",
             r"returning(?= \S*(?:error|[45]\d\d))", r"throwing", r"hows", r"how is", r"how are",
             r"whats up with",
             r"whats going on(?: with)?",
             r"whats wrong(?: with)?", r"whats happening(?: with)?", r"failing", r"broken", r"not working",
             r"keeps? (?:dying|failing|crashing|restarting)", r"oomkilled", r"unhealthy")),
        (2, (r"state", r"alive", r"dead", r"dying", r"died", r"down", r"running", r"ok", r"okay", r"working",
             r"doing", r"up(?= $)", r"check on", r"fine", r"erroring", r"errors?ing", r"stuck", r"slow",
             r"problem",
             r"issue", r"wrong", r"pending")),
        (1.5, (r"check", r"look at")),
        (1, (r"why",)),
    ],
    "endpoint": [
        (3.5, (r"endpoint", r"url", r"urls", r"how (?:do|can|would|should) (?:i|we|you|people|users) "
               r"(?:reach|access|hit|get to|open|connect to|call|visit)",
               r"ingress url", r"what port", r"public address", r"external ip",
               r"where(?= (?:is|can i|do i) .*(?:reach|access|hosted|exposed|running))")),
        (3, (r"address", r"link", r"hostname", r"ip", r"domain", r"reach", r"exposed", r"access(?:ible)?",
             r"port")),
    ],
    "overview": [
        (4.5, (r"overview", r"cluster status", r"cluster health", r"how are things", r"how is everything",
               r"hows everything", r"status of everything", r"big picture", r"at a glance",
               r"state of (?:the )?cluster", r"everything ok(?:ay)?", r"all good", r"summary",
               r"how are we doing", r"overall")),
        (3.5, (r"dashboard", r"sitrep", r"anything (?:broken|wrong|down|failing|on fire)",
               r"any (?:problems|issues|errors|failures)")),
        (2, (r"everything", r"cluster")),
    ],
    "metrics": [
        (4, (r"metrics?", r"cpu usage", r"memory usage", r"graph", r"chart", r"usage of")),
        (3, (r"trends?", r"over time")),
    ],
    "cost_analysis": [
        (4, (r"costs?", r"costing", r"spend(?:ing)?", r"spent", r"bill(?:ing)?", r"pricing", r"price",
             r"how much", r"expensive", r"budget", r"money", r"finops", r"cheaper", r"save money")),
    ],
    "help": [
        (4.5, (r"help", r"what can you do", r"what do you do", r"what can i (?:ask|do|say)",
               r"how (?:do|to) (?:i )?use(?: you| this| it)?",
               r"how does (?:this |the |it )?(?:bot |thing )?work", r"usage", r"manual",
               r"capabilities", r"commands", r"command list", r"tutorial", r"hlep", r"halp")),
        (3, (r"guide", r"instructions")),
    ],
    "list": [
        (2.5, (r"list", r"ls", r"show (?:me )?(?:all|every|the list)", r"what(?= (?:\w+ )?are there)",
               r"which(?= \w+ (?:are|do we have))", r"what(?= \w+ (?:are|do we have))", r"do we have",
               r"enumerate",
               r"all")),
        (1.5, (r"every", r"show me", r"what", r"get")),
        (0.5, (r"show", r"see")),
    ],
    "describe": [
        (3, (r"describe", r"details?", r"info", r"information", r"spec", r"yaml", r"manifest", r"config",
             r"(?:resource )?limits", r"(?:rollout |update |deployment )?strategy")),
    ],
    "stop": [
        (4, (r"stop", r"shut ?down", r"shut it down", r"turn off", r"take down", r"disable", r"pause",
             r"suspend",
             r"halt", r"switch off")),
    ],
    "destroy": [
        (5, (r"delete", r"remove", r"rm", r"rm -rf", r"destroy", r"drop(?! \S+ to )(?! to )", r"wipe",
             r"purge", r"kill", r"nuke",
             r"erase", r"terminate", r"uninstall", r"evict", r"cordon", r"drain")),
    ],
    "injection": [
        (6, (r"ignore (?:all |any |the |your )?(?:previous|prior|above|earlier|preceding|those|these|system)",
             r"disregard", r"you are(?: \w+)? now", r"dan mode", r"do anything now", r"system prompt",
             r"system message", r"new instructions", r"jailbreak", r"pretend",
             r"act as", r"developer mode", r"sudo", r"override", r"forget (?:all|your|previous|everything)",
             r"prompt", r"root access", r"admin access", r"bypass")),
    ],
    "smalltalk": [
        (2, (r"hi", r"hello", r"hey", r"yo", r"thanks", r"thank you", r"thx", r"ty",
             r"good (?:morning|night|job)",
             r"lol", r"haha", r"weather", r"joke", r"who are you", r"how are you", r"love", r"bye", r"cool",
             r"nice", r"great", r"awesome", r"lunch", r"dinner", r"coffee", r"weekend", r"birthday",
             r"sup", r"whats up", r"good bot", r"bad bot", r"cheers")),
    ],
    "pronoun": [
        (1, (r"it", r"that", r"this", r"them", r"that one", r"this one", r"same app", r"the same one",
             r"same one")),
    ],
    "also": [
        (1, (r"same (?:for|in|on|thing|again)", r"also", r"too", r"as well", r"likewise", r"same")),
    ],
    "again": [
        (1, (r"again", r"one more time", r"once more", r"redo", r"repeat")),
    ],
    "relative": [
        (1, (r"more", r"less", r"fewer", r"another", r"extra", r"double", r"half", r"triple", r"by \d+",
             r"\+\d+", r"-\d+")),
    ],
    "swap": [
        (1, (r"what about", r"how about", r"(?<=^ )and(?= \S+ $)", r"and for")),
    ],
    "question": [(0.5, (r"how", r"why", r"what", r"where"))],
}

# Resource nouns: what kind of object the text talks about (lists, get_*, status kind).
_RESOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # resource: (Korean stems, English words)
    # "pod IPs" behind a service are its endpoints, not pods
    "pod": (("파드(?!\\s?들)", "포드(?!\\s?들)", "팟들"), (r"pods?(?! ips?(?= ))", r"po")),
    # "api 파드들 상태": all the app's pods, which its status shows; lists pods otherwise
    "pods_ko": (("파드들", "포드들"), ()),
    # (a Deployment's spec: its rollout strategy, its containers' resource limits)
    "deployment": (("디플로이먼트", "디플로이먼츠", "배포목록", "배포리스트", "배포된것", "디플로이목록",
                    "디플로이리스트", "디플로이들", "배포전략", "롤아웃전략", "리소스리밋", "리소스리미트"),
                   (r"deployments?", r"deploys", r"deploy\.apps", r"(?<=get )deploy",
                    r"(?<=describe )deploy", r"(?:rollout|update|deployment) strategy",
                    r"resource limits")),
    "service": ((), (r"services?", r"svc", r"svcs")),
    # Korean 서비스 is as often "the app" as a Service object: it lists services, but never sets a kind.
    "service_ko": (("서비스",), ()),
    "ingress": (("인그레스",), (r"ingress(?:es)?", r"ing")),
    "endpoints": (("엔드포인트",), (r"endpoints", r"eps?", r"pod ips?")),
    "namespace": (("네임스페이스", "네임 스페이스", "네임스패이스", "namespace"), (r"namespaces?", r"ns")),
    "app": (("앱", "애플리케이션", "어플리케이션", "어플", "애플케이션", "배포된앱", "워크로드", "뭐배포돼",
             "뭐가배포돼", "배포된거"),
            (r"apps?", r"applications?", r"workloads?", r"(?<=whats )deployed", r"(?<=what is )deployed",
             r"(?<=whats )running", r"(?<=what is )running")),
}


# Korean stems that must not follow a syllable: 배포 in 재배포 (redeploy = restart) is not a deploy,
# and 재배포 취소 (cancel the redeploy) is no rollback.
_KO_NOT_AFTER = {"deploy": "재", "rollback": "재"}


def _tiers(signal: str, groups: list[tuple[float, list[str]]]) -> Cue:
    weights: dict[str, float] = {}
    parts: list[str] = []
    for index, (weight, bodies) in enumerate(sorted(groups, key=lambda g: -g[0])):
        name = f"t{index}"
        weights[name] = weight
        parts.append(f"(?P<{name}>{'|'.join(sorted(bodies, key=len, reverse=True))})")
    return Cue(signal, re.compile("|".join(parts)), weights)


def _compile() -> tuple[list[Cue], list[Cue]]:
    cues: list[Cue] = []
    for signal, ko_groups in _KO.items():
        guard = _KO_NOT_AFTER.get(signal, "")
        prefix = f"(?<!{guard})(?<!{guard} )" if guard else ""
        # Stems carrying a regex (a lookahead) are used as written.
        tiers = [(w, [prefix + (s if "(" in s else _ko(s)) for s in stems]) for w, stems in ko_groups]
        cues.append(_tiers(signal, tiers))
    for signal, en_groups in _EN.items():
        cues.append(_tiers(signal, [(w, [_en(phrase) for phrase in phrases]) for w, phrases in en_groups]))
    resources: list[Cue] = []
    for resource, (ko_stems, en_words) in _RESOURCES.items():
        bodies = [stem if "(" in stem else _ko(stem) for stem in ko_stems] + [_en(word) for word in en_words]
        resources.append(_tiers(resource, [(1.0, bodies)]))
    return cues, resources


CUES, RESOURCES = _compile()

COMMAND_SIGNALS = frozenset(
    {"restart", "scale", "rollback", "rollout_history", "deploy", "logs", "status", "endpoint", "overview",
     "cost_analysis", "help", "metrics", "history", "audit", "whoami"}
)

# Single English cue words that also match with one typo ("restrat", "rollbck", "deplyo").
FUZZY_WORDS: dict[str, str] = {
    "restart": "restart", "reboot": "restart", "bounce": "restart", "scale": "scale", "replicas": "scale",
    "rollback": "rollback", "revert": "rollback", "history": "rollout_history", "deploy": "deploy",
    "status": "status", "health": "status", "crashing": "status", "endpoint": "endpoint",
    "address": "endpoint", "overview": "overview", "summary": "overview", "dashboard": "overview",
    "logs": "logs", "billing": "cost_analysis", "rollout": "deploy", "describe": "describe",
}
FUZZY_WEIGHT = 2.5

# Korean cue stems of three syllables or more that also match with one jamo typo at the start of a
# word ("재시잭해줘", "스캐일", "레플리까"): the usual slips of a phone keyboard.
KO_FUZZY_STEMS: dict[str, str] = {
    "재시작": "restart", "재부팅": "restart", "재기동": "restart", "리스타트": "restart", "리부트": "restart",
    "스케일": "scale", "레플리카": "scale", "리플리카": "scale", "히스토리": "rollout_history",
    "엔드포인트": "endpoint", "디플로이": "deploy", "대시보드": "overview", "도움말": "help",
}

# The words that name each command in help requests ("help scale", "scale 어떻게 써").
COMMAND_WORDS: dict[str, str] = {
    "restart": "restart", "재시작": "restart", "scale": "scale", "스케일": "scale", "rollback": "rollback",
    "롤백": "rollback", "logs": "logs", "log": "logs", "로그": "logs", "status": "status", "상태": "status",
    "deploy": "deploy", "배포": "deploy", "endpoint": "endpoint", "history": "rollout_history",
    "overview": "overview", "cost": "cost_analysis", "비용": "cost_analysis",
}
