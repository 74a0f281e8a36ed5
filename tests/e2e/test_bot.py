"""FamilyTies end to end: the real bot and discord.py against the loopback fake of Discord."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.replies import answer_for
from bot.ui.render import AnswerCards
from tests.e2e.conftest import CONTACT, MESSAGES, NO_PINGS, Env, MakeEnv, pings_no_one

pytestmark = pytest.mark.e2e


def embed_of(body: dict[str, Any]) -> dict[str, Any]:
    (embed,) = body["embeds"]
    result: dict[str, Any] = embed
    return result


def assert_sourced_answer(body: dict[str, Any], title_part: str) -> None:
    embed = embed_of(body)
    assert title_part.lower() in embed["title"].lower()
    assert embed["description"]
    (sources,) = [field for field in embed["fields"] if field["name"] == "Sources"]
    assert "](http" in sources["value"]
    assert embed["footer"]["text"].startswith("As of ")
    assert "Information, not legal advice" in embed["footer"]["text"]
    assert pings_no_one(body)
    custom_ids = [c["custom_id"] for row in body["components"] for c in row["components"]]
    assert any(cid.startswith("ft:fb:up:") for cid in custom_ids)
    assert any(cid.startswith("ft:fb:down:") for cid in custom_ids)


async def test_commands_are_registered(env: Env) -> None:
    names = {command["name"] for command in env.fake.global_commands.values()}
    assert {"ask", "topics", "about"} <= names


async def test_passive_question_in_help_channel_is_answered_with_sources(env: Env) -> None:
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    body = await env.reply_to(question)
    assert_sourced_answer(body, "Defense of Marriage Act")


async def test_off_topic_in_help_channel_gets_no_reply(env: Env) -> None:
    chatter = await env.fake.message_create("help", "alice", "good morning everyone!")
    unrelated = await env.fake.message_create("help", "alice", "what is the capital of france?")
    await env.settle()
    assert env.replies_to(chatter) == [] and env.replies_to(unrelated) == []
    assert env.fake.bot_messages("help") == []


async def test_messages_outside_help_channels_are_ignored_unless_mentioned(env: Env) -> None:
    ignored = await env.fake.message_create("general", "alice", "what is DOMA?")
    mention = await env.fake.message_create("general", "alice", "what is UAFA?", mentions_bot=True)
    assert_sourced_answer(await env.reply_to(mention), "Uniting American Families Act")
    await env.settle()
    assert env.replies_to(ignored) == []


async def test_direct_message_and_thread_are_answered(env: Env) -> None:
    dm = await env.fake.message_create(None, "alice", "who is rachel tiven", guild=False)
    assert_sourced_answer(await env.reply_to(dm), "Tiven")
    in_thread = await env.fake.message_create("help-thread", "alice", "what is doma?")
    assert_sourced_answer(await env.reply_to(in_thread), "Defense of Marriage Act")


async def test_slash_ask_public_and_private(env: Env) -> None:
    public = await env.fake.slash_command("ask", {"question": "what is doma"}, user_id="alice")
    callback = await env.fake.wait_for_interaction_callback(public)
    assert callback.json["type"] == 4
    assert not (callback.json["data"].get("flags") or 0) & 64
    assert_sourced_answer(callback.json["data"], "Defense of Marriage Act")

    private = await env.fake.slash_command(
        "ask", {"question": "what is uafa", "private": True}, user_id="alice"
    )
    callback = await env.fake.wait_for_interaction_callback(private)
    assert callback.json["data"]["flags"] & 64
    assert_sourced_answer(callback.json["data"], "Uniting American Families Act")


async def test_slash_ask_for_a_member_mentions_without_pinging(env: Env) -> None:
    interaction = await env.fake.slash_command(
        "ask", {"question": "what is doma", "for": "alice"}, user_id="mod"
    )
    data = (await env.fake.wait_for_interaction_callback(interaction)).json["data"]
    alice = env.fake.get_user("alice")
    assert f"<@{alice.id}>" in data["content"]
    assert pings_no_one(data)
    assert not (data.get("flags") or 0) & 64


async def test_prefix_ask_and_helper_replying_to_someone_else(env: Env) -> None:
    own = await env.fake.message_create("general", "alice", "!ask who is rachel tiven")
    assert_sourced_answer(await env.reply_to(own), "Tiven")
    asked = await env.fake.message_create("general", "alice", "is uafa a real law??")
    helper = await env.fake.message_create(
        "general", "mod", "!ask what does UAFA do", reference_message_id=asked["id"]
    )
    assert_sourced_answer(await env.reply_to(asked), "Uniting American Families Act")
    assert env.replies_to(helper) == []


async def test_legal_question_goes_to_the_contact_page(env: Env) -> None:
    message = await env.fake.message_create(
        "help", "alice", "my partner has a court date next month, what do we do?"
    )
    body = await env.reply_to(message)
    assert CONTACT in body["content"]
    assert "don't post immigration details" in body["content"]
    buttons = [c for row in body["components"] for c in row["components"]]
    assert any(b.get("style") == 5 and b.get("url") == CONTACT for b in buttons)
    assert body["allowed_mentions"] == NO_PINGS


async def test_legal_slash_question_is_private(env: Env) -> None:
    interaction = await env.fake.slash_command(
        "ask", {"question": "ICE picked up my girlfriend this morning"}, user_id="alice"
    )
    data = (await env.fake.wait_for_interaction_callback(interaction)).json["data"]
    assert data["flags"] & 64 and CONTACT in data["content"]


async def test_did_you_mean_then_choice_posts_the_answer(env: Env) -> None:
    interaction = await env.fake.slash_command("ask", {"question": "doma today"}, user_id="alice")
    await env.fake.wait_for_interaction_response(interaction)
    state = env.fake.interactions[str(interaction["id"])]
    data = state.response_data or {}
    assert "Did you mean" in data["content"]
    buttons = [c["custom_id"] for row in data["components"] for c in row["components"]]
    choices = [custom_id for custom_id in buttons if custom_id.startswith("ft:pick:")]
    assert "ft:pick:what-is-doma" in choices and 2 <= len(choices) <= 3
    assert buttons[-1] == f"ft:del:{env.fake.get_user('alice').id}"  # a public reply: removable
    message = env.fake.messages[str(state.original_message_id)]
    click = await env.fake.component_click(message, "ft:pick:what-is-doma", user_id="alice")
    callback = await env.fake.wait_for_interaction_callback(click)
    assert callback.json["type"] == 4
    assert_sourced_answer(callback.json["data"], "Defense of Marriage Act")


async def test_unknown_question_asked_directly_gets_a_kind_i_dont_know(env: Env) -> None:
    interaction = await env.fake.slash_command(
        "ask", {"question": "who won the football game"}, user_id="alice"
    )
    data = (await env.fake.wait_for_interaction_callback(interaction)).json["data"]
    assert "couldn't find" in data["content"] and "/topics" in data["content"]
    assert data["flags"] & 64


async def test_feedback_button_is_recorded_without_text_even_after_restart(env: Env) -> None:
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    (answer,) = env.fake.bot_messages("help")
    click = await env.fake.component_click(answer, "ft:fb:up:what-is-doma", user_id="alice")
    callback = await env.fake.wait_for_interaction_callback(click)
    assert callback.json["data"]["flags"] & 64
    # A button on a message from before a restart (the bot never saw it) still works.
    old = await env.fake.component_click(
        "123456789012345678", "ft:fb:down:what-is-uafa", user_id="mod"
    )
    await env.fake.wait_for_interaction_callback(old)
    rows = env.db_rows("SELECT entry_id, helpful, user_hash FROM feedback ORDER BY entry_id")
    assert [(entry, helpful) for entry, helpful, _ in rows] == [
        ("what-is-doma", 1),
        ("what-is-uafa", 0),
    ]
    alice = env.fake.get_user("alice")
    assert all(str(alice.id) not in user_hash for _, _, user_hash in rows)


async def test_bots_webhooks_and_own_messages_are_ignored(env: Env) -> None:
    other_bot = env.fake.add_user("otherbot", bot=True)
    env.fake.add_member(other_bot)
    from_bot = await env.fake.message_create("help", "otherbot", "what is DOMA?")
    from_hook = await env.fake.message_create("help", "alice", "what is DOMA?", webhook_id="777")
    await env.settle()
    assert env.replies_to(from_bot) == [] and env.replies_to(from_hook) == []
    # The bot's own answers came back over the gateway and were not answered either.
    assert all(not env.replies_to(m) for m in env.fake.bot_messages())


async def test_the_same_message_is_never_answered_twice(env: Env) -> None:
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    await env.fake.dispatch("MESSAGE_CREATE", question)
    await env.settle()
    assert len(env.replies_to(question)) == 1


async def test_cooldowns_stay_quiet(make_env: MakeEnv) -> None:
    env = await make_env(cooldowns={"per_user_seconds": 60, "per_channel_entry_seconds": 60})
    bob = env.fake.add_user("bob")
    env.fake.add_member(bob)
    first = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(first)
    too_fast = await env.fake.message_create("help", "alice", "what is UAFA?")
    repeat = await env.fake.message_create("help", "bob", "what's doma?")
    await env.settle()
    assert env.replies_to(too_fast) == [] and env.replies_to(repeat) == []
    assert len(env.fake.bot_messages("help")) == 1


async def test_everyone_in_a_question_pings_no_one(env: Env) -> None:
    question = await env.fake.message_create(
        "help", "alice", "@everyone what is DOMA?", mention_everyone=True
    )
    body = await env.reply_to(question)
    assert body["allowed_mentions"] == NO_PINGS
    assert_sourced_answer(body, "Defense of Marriage Act")


@pytest.mark.parametrize("code", [1006, 4000])
async def test_gateway_drop_then_resume_answers_exactly_once(env: Env, code: int) -> None:
    identifies = env.fake.identify_count
    await env.fake.drop_gateway(code)
    question = await env.fake.message_create("help", "alice", "what is UAFA?")
    await env.fake.wait_resumed()
    body = await env.reply_to(question, timeout=10)
    assert_sourced_answer(body, "Uniting American Families Act")
    await env.settle()
    assert len(env.replies_to(question)) == 1
    assert env.fake.identify_count == identifies  # resumed, not re-identified


async def test_rate_limited_reply_is_retried_and_delivered_once(env: Env) -> None:
    env.fake.rate_limit_next("POST", MESSAGES, retry_after=0.3)
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question, timeout=10)
    limited = env.fake.requests_matching("POST", MESSAGES, status=429)
    assert len(limited) == 1
    await env.settle()
    assert len(env.replies_to(question)) == 1
    # The retry is the same request: one nonce that Discord enforces, so even a retry whose
    # first attempt did get through posts nothing twice.
    sent = env.fake.requests_matching(
        "POST",
        MESSAGES,
        lambda request: str(request.json["message_reference"]["message_id"]) == question["id"],
    )
    assert len(sent) == 2
    assert len({request.json["nonce"] for request in sent}) == 1
    assert all(request.json["enforce_nonce"] is True for request in sent)


@pytest.mark.parametrize(
    ("status", "code"), [(403, 50013), (400, 50035)], ids=["no-permission", "question-deleted"]
)
async def test_a_refused_reply_is_a_warning_and_the_bot_goes_on(
    env: Env, status: int, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    env.fake.fail_next("POST", MESSAGES, status=status, code=code)
    refused = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.settle()
    assert env.fake.requests_matching("POST", MESSAGES, status=status)
    assert not env.replies_to(refused)
    later = await env.fake.message_create("help", "mod", "what is UAFA?")
    assert_sourced_answer(await env.reply_to(later), "Uniting American Families Act")
    warnings = [r for r in caplog.records if r.name == "bot.exts.answers"]
    assert [r.levelname for r in warnings] == ["WARNING"], warnings
    assert f"HTTP {status}, Discord code {code}" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_without_message_content_mentions_and_slash_still_work(make_env: MakeEnv) -> None:
    env = await make_env(message_content=False)
    assert not env.bot.listening
    passive = await env.fake.message_create("help", "alice", "what is DOMA?")
    mention = await env.fake.message_create("help", "alice", "what is DOMA?", mentions_bot=True)
    assert_sourced_answer(await env.reply_to(mention), "Defense of Marriage Act")
    interaction = await env.fake.slash_command("ask", {"question": "what is uafa"}, user_id="alice")
    await env.fake.wait_for_interaction_callback(interaction)
    await env.settle()
    assert env.replies_to(passive) == []


async def test_topics_and_about_are_private_and_helpful(env: Env) -> None:
    topics = await env.fake.slash_command("topics", {}, user_id="alice")
    data = (await env.fake.wait_for_interaction_callback(topics)).json["data"]
    assert data["flags"] & 64 and embed_of(data)["fields"]
    about = await env.fake.slash_command("about", {}, user_id="alice")
    data = (await env.fake.wait_for_interaction_callback(about)).json["data"]
    text = str(embed_of(data))
    assert "not legal advice" in text and CONTACT in text


async def test_legal_text_is_never_stored(env: Env) -> None:
    secret = "my husband overstayed his visa and has a hearing on march 3, what should we do?"
    message = await env.fake.message_create("help", "alice", secret)
    await env.reply_to(message)
    await env.bot.db.flush()
    database = (env.data_dir / "familyties.sqlite3").read_bytes()
    assert b"overstayed" not in database and b"march 3" not in database
    wal = env.data_dir / "familyties.sqlite3-wal"
    assert not wal.exists() or b"overstayed" not in wal.read_bytes()
    assert ("legal",) in env.db_rows("SELECT kind FROM events")


async def test_answer_cards_are_reused_and_follow_a_knowledge_reload(env: Env) -> None:
    first = await env.fake.message_create("help", "alice", "what is DOMA?")
    first_body = await env.reply_to(first)
    second = await env.fake.message_create("help-thread", "alice", "what is doma")
    second_body = await env.reply_to(second)
    # One card built for both replies, sent in full each time (embed, sources, buttons).
    assert len(env.bot.cards) == 1
    assert embed_of(first_body) == embed_of(second_body)
    assert first_body["components"] == second_body["components"]
    assert_sourced_answer(second_body, "Defense of Marriage Act")
    # An edited entry is never shown with its old card.
    law = env.knowledge_dir / "law.yaml"
    law.write_text(
        law.read_text(encoding="utf-8").replace(
            "The **Defense of Marriage Act** (DOMA) is a federal law",
            "The **Defense of Marriage Act** (DOMA) was a federal law",
            1,
        ),
        encoding="utf-8",
    )
    assert env.bot.store.reload().changed == ("what-is-doma",)
    third = await env.fake.message_create("help", "mod", "what is DOMA?")
    body = await env.reply_to(third)
    assert "(DOMA) was a federal law" in embed_of(body)["description"]
    assert_sourced_answer(body, "Defense of Marriage Act")


async def test_questions_are_not_parsed_as_commands(env: Env) -> None:
    contexts = 0
    get_context = env.bot.get_context

    async def counting_get_context(message: Any, **kwargs: Any) -> Any:
        nonlocal contexts
        contexts += 1
        return await get_context(message, **kwargs)

    env.bot.get_context = counting_get_context  # type: ignore[method-assign]
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    await env.settle()
    assert contexts == 0
    command = await env.fake.message_create("general", "alice", "!ask what is uafa")
    assert_sourced_answer(await env.reply_to(command), "Uniting American Families Act")
    assert contexts >= 1


async def test_own_replies_are_not_answered(env: Env) -> None:
    seen: list[int] = []

    async def spy(message: Any) -> None:
        seen.append(message.author.id)

    env.bot.add_listener(spy, "on_message")
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    await env.settle()
    answers = env.fake.bot_messages("help")
    assert len(answers) == 1  # the reply's echo reaches the bot and is not answered
    assert env.bot.user is not None and env.bot.user.id in seen
    channel = env.bot.get_channel(int(env.fake.get_channel("help").id))
    assert channel is not None
    assert getattr(channel, "last_message_id", None) == int(answers[0]["id"])
    other_bot = env.fake.add_user("otherbot", bot=True)
    env.fake.add_member(other_bot)
    await env.fake.message_create("help", "otherbot", "what is DOMA?")
    await env.settle()
    assert other_bot.id in {str(author) for author in seen}
    assert len(env.fake.bot_messages("help")) == 1


async def test_answer_cards_stay_bounded(env: Env) -> None:
    knowledge = env.bot.store.knowledge
    answers = [answer_for(entry, knowledge) for entry in list(knowledge.entries.values())[:3]]
    cards = AnswerCards(capacity=2)
    first = cards.card(answers[0])
    assert cards.card(answers[0]) is first
    cards.card(answers[1])
    cards.card(answers[0])  # most recently used: kept
    cards.card(answers[2])
    assert len(cards) == 2
    assert cards.card(answers[0]) is first
